"""Wall time of every solution notebook, at autograde settings and at full settings.

Run from the repository root:

    .venv/bin/python bench/notebook_times.py [--figures docs/figures]

Each notebook of release/solution/ runs twice in a fresh kernel, in a scratch
copy of its folder: once with NBGRADER_EXECUTION=autograde (what nbgrader sets
while grading, which reduces the experiments) and once without (a student's full
run). Goals: under 30 s and under 120 s on a 2-core machine. With --figures the
plots of the full run are saved as PNG files named after their cells.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=pathlib.Path, help="save the full run's plots in this folder")
    args = parser.parse_args(argv)
    notebooks = sorted((REPO / "release" / "solution").glob("*/*.ipynb"))
    print(f"{'notebook':<36}{'autograde (s)':>15}{'full (s)':>10}   goals: {GOALS['autograde']:.0f} s / {GOALS['full']:.0f} s")
    failed = False
    for path in notebooks:
        quick, _ = run_notebook(path, quick=True)
        full, executed = run_notebook(path, quick=False)
        ok = quick < GOALS["autograde"] and full < GOALS["full"]
        failed |= not ok
        print(f"{path.parent.name + '/' + path.name:<36}{quick:>15.1f}{full:>10.1f}   {'ok' if ok else 'OVER GOAL'}")
        if args.figures:
            for figure in save_figures(executed, path.stem, args.figures):
                print(f"    figure: {figure.relative_to(REPO) if figure.is_relative_to(REPO) else figure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
