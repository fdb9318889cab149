"""Wall time of every solution notebook, at autograde settings and at full settings, and of the release build.

Run from the repository root:

    .venv/bin/python bench/notebook_times.py [--figures docs/figures]

Each notebook of source/ (every assignment's, solutions and hidden tests
included, as nbgrader runs a submission) runs twice in a fresh kernel, in a
scratch copy of its folder: once with NBGRADER_EXECUTION=autograde (what
nbgrader sets while grading, which reduces the experiments) and once without (a
student's full run). Goals: under 30 s and under 120 s on a 2-core machine.
With --figures the plots of the full run are saved as PNG files named after
their cells. Last, the release build (`python -m autograder release`: nbgrader's
generate_assignment and generate_solution for every assignment) is timed in a
scratch course, leaving release/ as it is.
"""
import argparse
import base64
import os
import pathlib
import shutil
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS, new_course_dir
from autograder.release import generate_releases

REPO = pathlib.Path(__file__).resolve().parent.parent
GOALS = {"autograde": 30.0, "full": 120.0}


def run_notebook(path, quick):
    """Execute a copy of path's folder; return (seconds, executed notebook)."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = shutil.copytree(path.parent, pathlib.Path(scratch) / path.parent.name)
        nb = nbformat.read(folder / path.name, as_version=4)
        saved = os.environ.pop("NBGRADER_EXECUTION", None)
        if quick:
            os.environ["NBGRADER_EXECUTION"] = "autograde"
        try:
            start = time.perf_counter()
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}}).execute()
            return time.perf_counter() - start, nb
        finally:
            os.environ.pop("NBGRADER_EXECUTION", None)
            if saved is not None:
                os.environ["NBGRADER_EXECUTION"] = saved


def save_figures(nb, stem, folder):
    """Write every PNG the notebook displayed to folder/<stem>-<cell id>[-k].png; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for cell in nb.cells:
        images = [o.data["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for k, image in enumerate(images):
            suffix = f"-{k + 1}" if len(images) > 1 else ""
            path = folder / f"{stem}-{cell.get('id', 'cell')}{suffix}.png"
            path.write_bytes(base64.b64decode(image))
            paths.append(path)
    return paths


def release_build_seconds():
    """Seconds to build the student and solution releases of every assignment, in a scratch course."""
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        course = new_course_dir(pathlib.Path(scratch) / "course")
        for assignment in ASSIGNMENTS:
            generate_releases(course, assignment)
        return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=pathlib.Path, help="save the full run's plots in this folder")
    args = parser.parse_args(argv)
    notebooks = sorted((REPO / "source").glob("*/*.ipynb"))
    # Wall times depend on what else runs: the load average says how busy the machine was.
    print(f"load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'notebook':<44}{'autograde (s)':>15}{'full (s)':>10}   share of the goals ({GOALS['autograde']:.0f} s / "
          f"{GOALS['full']:.0f} s)")
    failed = False
    for path in notebooks:
        quick, _ = run_notebook(path, quick=True)
        full, executed = run_notebook(path, quick=False)
        shares = quick / GOALS["autograde"], full / GOALS["full"]
        failed |= max(shares) >= 1
        print(f"{path.parent.name + '/' + path.name:<44}{quick:>15.1f}{full:>10.1f}   {shares[0]:.2f} / {shares[1]:.2f}"
              f"   {'ok' if max(shares) < 1 else 'OVER GOAL'}")
        if args.figures:
            for figure in save_figures(executed, path.stem, args.figures):
                print(f"    figure: {figure.relative_to(REPO) if figure.is_relative_to(REPO) else figure}")
    print(f"release build ({', '.join(ASSIGNMENTS)}): {release_build_seconds():.1f} s; "
          f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
