"""Wall time of every solution notebook, at autograde settings and at full settings, and of the release build.

Run from the repository root:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/notebook_times.py [--repeats 3] [--stand-ins]
    .venv/bin/python bench/notebook_times.py --figures docs/figures

Each notebook of source/ (every assignment's, solutions and hidden tests
included, as nbgrader runs a submission) runs in a fresh kernel, in a scratch
copy of its folder: with NBGRADER_EXECUTION=autograde (what nbgrader sets while
grading, which reduces the experiments) and without (a student's full run),
--repeats times each; the best time is printed (the one least disturbed by other
work), with the slowest cells of the best full run. Goals on a 2-core machine:
under 30 s at autograde settings, under 60 s at full settings.

The experiments of BatchNormalization.ipynb train on CIFAR-10, and those of
MLPBatchNorm.ipynb on MNIST, when their files are present, else on the small
digits data set. --stand-ins times them as a student who downloaded both runs
them: it writes random images in CIFAR-10's and MNIST's files and shapes (what
the time depends on; the plots then show nothing learned) to a scratch folder
and points CIFAR10_DIR and MNIST_DIR there. With --figures the
plots of the full runs are saved as PNG files named after their cells. Last, the
release build (`python -m autograder release`: nbgrader's generate_assignment and
generate_solution for every assignment) is timed in a scratch course, leaving
release/ as it is.
"""
import argparse
import base64
import contextlib
import datetime
import os
import pathlib
import pickle
import shutil
import sys
import tempfile
import time

import nbformat
import numpy as np
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS, new_course_dir
from autograder.release import generate_releases
from data_utils import cifar10, mnist

REPO = pathlib.Path(__file__).resolve().parent.parent
GOALS = {"autograde": 30.0, "full": 60.0}
SLOW_CELL_SECONDS = 1.0  # cells of a full run that take at least this long are listed


@contextlib.contextmanager
def environment(**values):
    """Set (a string) or unset (None) environment variables, which a kernel started inside inherits."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        set_variables(values)
        yield
    finally:
        set_variables(saved)


def set_variables(values):
    """Set each environment variable of values to its string, or unset it for None."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def run_notebook(path, quick):
    """Execute a copy of path's folder; return (seconds, executed notebook)."""
    with tempfile.TemporaryDirectory() as scratch, environment(NBGRADER_EXECUTION="autograde" if quick else None):
        folder = shutil.copytree(path.parent, pathlib.Path(scratch) / path.parent.name)
        nb = nbformat.read(folder / path.name, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        return time.perf_counter() - start, nb


def best_run(path, quick, repeats):
    """(seconds, executed notebook) of the fastest of repeats runs."""
    return min((run_notebook(path, quick) for _ in range(repeats)), key=lambda run: run[0])


def slowest_cells(nb):
    """[(seconds, cell id)] of the cells that ran at least SLOW_CELL_SECONDS, slowest first (nbclient's timestamps)."""
    slow = []
    for cell in nb.cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        if {"iopub.execute_input", "shell.execute_reply"} <= set(stamps):
            start, end = (datetime.datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            if (end - start).total_seconds() >= SLOW_CELL_SECONDS:
                slow.append(((end - start).total_seconds(), cell.get("id", "cell")))
    return sorted(slow, reverse=True)


def write_stand_ins(folder):
    """
    Random images in the files and shapes of CIFAR-10 (5 training batches and a test batch of 10,000 images of
    3072 bytes) and of MNIST (60,000 + 10,000 images of 28 x 28 bytes, idx files) under folder; returns the
    environment variables that point the loaders there.
    """
    rng = np.random.default_rng(0)
    cifar10_dir, mnist_dir = folder / cifar10.FOLDER_NAME, folder / "mnist"
    cifar10_dir.mkdir(parents=True)
    mnist_dir.mkdir()
    for name in (*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH):
        batch = {"data": rng.integers(0, 256, size=(10000, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, size=10000).tolist()}
        (cifar10_dir / name).write_bytes(pickle.dumps(batch, protocol=2))
    for split, count in (("train", 60000), ("t10k", 10000)):
        images, labels = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=count)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels.astype(np.uint8))):
            # the idx format: two zero bytes, the type code (0x08: unsigned bytes), the number of dimensions,
            # then each dimension as a big-endian int32, then the data
            header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
            (mnist_dir / f"{split}-{kind}-ubyte").write_bytes(header + array.tobytes())
    return {cifar10.DIR_VARIABLE: str(cifar10_dir), mnist.DIR_VARIABLE: str(mnist_dir), "BN_SUITE_DATASET": None}


def datasets_used():
    """Which data sets the experiments load here (CIFAR-10 or the digits; MNIST or the digits), as a phrase."""
    if os.environ.get("BN_SUITE_DATASET"):
        first = f"{os.environ['BN_SUITE_DATASET']} ($BN_SUITE_DATASET)"
    else:
        first = "CIFAR-10" if not cifar10.missing_files(cifar10.default_cifar10_dir()) else "the digits (no CIFAR-10)"
    second = "MNIST" if not mnist.missing_files(mnist.default_mnist_dir()) else "the digits (no MNIST)"
    return f"BatchNormalization.ipynb on {first}, MLPBatchNorm.ipynb on {second}"


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


def time_notebooks(notebooks, repeats, figures):
    """Print the best autograde and full times of each notebook; return whether every one meets the goals."""
    print(f"{'notebook':<44}{'autograde (s)':>15}{'full (s)':>10}   share of the goals ({GOALS['autograde']:.0f} s / "
          f"{GOALS['full']:.0f} s)")
    met = True
    for path in notebooks:
        quick, _ = best_run(path, True, repeats)
        full, executed = best_run(path, False, repeats)
        shares = quick / GOALS["autograde"], full / GOALS["full"]
        met &= max(shares) < 1
        print(f"{path.parent.name + '/' + path.name:<44}{quick:>15.1f}{full:>10.1f}   {shares[0]:.2f} / {shares[1]:.2f}"
              f"   {'ok' if max(shares) < 1 else 'OVER GOAL'}")
        print("    slowest cells of the full run: "
              + (", ".join(f"{cell} {seconds:.1f} s" for seconds, cell in slowest_cells(executed)) or "none over 1 s"))
        if figures:
            for figure in save_figures(executed, path.stem, figures):
                print(f"    figure: {figure.relative_to(REPO) if figure.is_relative_to(REPO) else figure}")
    return met


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=pathlib.Path, help="save the full run's plots in this folder")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each notebook at each setting; the best counts")
    parser.add_argument("--notebook", action="append", metavar="NAME",
                        help="time only this notebook (a file name such as BatchNormalization.ipynb); repeatable")
    parser.add_argument("--stand-ins", action="store_true",
                        help="train the experiments on random images of CIFAR-10's and MNIST's shapes")
    args = parser.parse_args(argv)
    if args.figures and args.stand_ins:
        parser.error("--figures with --stand-ins would save plots of random images")
    notebooks = [path for path in sorted((REPO / "source").glob("*/*.ipynb"))
                 if not args.notebook or path.name in args.notebook]
    # Wall times depend on what else runs: the load average says how busy the machine was.
    print(f"load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; best of {args.repeats} run(s) per setting")
    with tempfile.TemporaryDirectory() as scratch:
        with environment(**(write_stand_ins(pathlib.Path(scratch)) if args.stand_ins else {})):
            print(f"experiments: {datasets_used()}" + (" (random stand-ins, --stand-ins)" if args.stand_ins else ""))
            met = time_notebooks(notebooks, args.repeats, args.figures)
    if not args.notebook:
        print(f"release build ({', '.join(ASSIGNMENTS)}): {release_build_seconds():.1f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
