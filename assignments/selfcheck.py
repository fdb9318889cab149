"""The student's self-check: `python -m assignments.selfcheck NOTEBOOK`.

Runs the notebook top to bottom in a Jupyter kernel, as grading does (nbclient,
errors allowed, NBGRADER_EXECUTION set so that the experiments run their reduced
settings), in a scratch copy of its folder: the student's folder is never
written to. Scores each test cell as nbgrader does (outcomes.score) and prints
a table: the points of each test, and under a test that lost points its failed
checks with what they measured and expected, and the earlier failed tests that
may cause them. It then states what the score leaves out: the hidden tests,
which run inside the same test cells when the notebook is graded, and the
answers graded by hand, with their points (nbgrader cell metadata).

Exit status: 0 when every test earns its points, 1 otherwise, 2 when the
notebook cannot be checked (missing, not a notebook, no test cells, kernel died).
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .notebook_cells import is_test_cell, nbgrader_meta
from .outcomes import cell_outcome, outcome_lines, score

PENDING_HIDDEN = ("hidden tests: when your notebook is graded, each test cell above also runs hidden checks, "
                  "which share its points with the visible ones: they can lower these {points:g} points")
PENDING_MANUAL = "answers graded by hand: {points:g} points ({names}), not counted above"


class CheckError(Exception):
    """The notebook cannot be checked; the message says why, in one line."""


def check_notebook(path, *, timeout=600):
    """
    Run a notebook in a scratch copy of its folder and score its test cells.

    Inputs:
    - path: The notebook file (its folder is copied: sibling notebooks and data stay reachable)
    - timeout: Seconds one cell may run before it is interrupted (it then scores 0)

    Returns (rows, manual): rows holds one dict per test cell, in notebook order:
    grade_id, score, max_score and outcome (outcomes.cell_outcome); manual is
    {grade_id: points} of the answers graded by hand.
    Raises CheckError when the file is missing, is not a valid notebook, has no
    test cell, or its kernel cannot run.
    """
    path = pathlib.Path(path)
    nb = _read(path)
    if not any(map(is_test_cell, nb.cells)):
        raise CheckError(f"{path} has no graded test cells: is it a notebook of this course?")
    manual = {nbgrader_meta(cell)["grade_id"]: float(nbgrader_meta(cell)["points"])
              for cell in nb.cells if nbgrader_meta(cell).get("grade") and nbgrader_meta(cell).get("solution")}
    with tempfile.TemporaryDirectory() as scratch:
        folder = shutil.copytree(path.parent, pathlib.Path(scratch) / "notebook",
                                 ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        _execute(nb, folder, timeout)
    rows = [{"grade_id": nbgrader_meta(cell)["grade_id"], "score": score(cell),
             "max_score": float(nbgrader_meta(cell)["points"]), "outcome": cell_outcome(cell)}
            for cell in filter(is_test_cell, nb.cells)]
    return rows, manual


def _read(path):
    """The notebook at path, validated; CheckError with a one-line reason otherwise."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in filter(is_test_cell, nb.cells):
            float(nbgrader_meta(cell)["points"])
    except OSError as error:
        raise CheckError(f"cannot read {path}: {error.strerror}") from None
    except Exception as error:  # nbformat reports bad content with many exception types
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CheckError(f"{path} is not a valid notebook: {reason}") from None
    return nb


def _execute(nb, folder, timeout):
    """Execute nb in place with its working directory in folder, errors allowed, as nbgrader does."""
    client = NotebookClient(nb, timeout=timeout, interrupt_on_timeout=True, kernel_name="python3",
                            allow_errors=True, resources={"metadata": {"path": str(folder)}})
    try:
        # the kernel's own log lines (such as its transport warning) are not the notebook's output
        client.execute(env={**os.environ, "NBGRADER_EXECUTION": "validate"}, stderr=subprocess.DEVNULL)
    except NoSuchKernel:
        raise CheckError("no python3 Jupyter kernel: install ipykernel in this environment") from None
    except DeadKernelError:
        raise CheckError("the kernel died while running the notebook (out of memory?)") from None


def format_table(rows, manual):
    """
    The rows and manual answers of check_notebook as the lines the student reads: one line per test with
    its points, then, under a test that lost points, its failed checks, notes and error; the total of the
    visible tests; what is pending (hidden tests, answers graded by hand) and its points.
    """
    width = max(len(name) for name in ["visible tests", *(row["grade_id"] for row in rows)])
    points = lambda earned, most: f"{earned:g} / {most:g}".rjust(11)
    lines = []
    for row in rows:
        passed = row["score"] >= row["max_score"]
        lines.append(f"{row['grade_id'].ljust(width)}  {points(row['score'], row['max_score'])}  "
                     f"{'ok' if passed else 'FAIL'}")
        if not passed:
            outcome = row["outcome"]
            # a cell whose checks printed their failures ends in a line that repeats the first one
            shown = dict(outcome, error=None) if any(not c["passed"] for c in outcome["checks"]) else outcome
            lines += ["    " + line for line in outcome_lines(shown, failed_only=True)]
    full = sum(row["score"] >= row["max_score"] for row in rows)
    most = sum(row["max_score"] for row in rows)
    lines.append(f"{'visible tests'.ljust(width)}  {points(sum(row['score'] for row in rows), most)}  "
                 f"{full} of {len(rows)} tests earn full points")
    lines += ["", "Pending until your notebook is graded:", "- " + PENDING_HIDDEN.format(points=most)]
    if manual:
        names = ", ".join(f"{name} {value:g}" for name, value in manual.items())
        lines.append("- " + PENDING_MANUAL.format(points=sum(manual.values()), names=names))
    return lines


def main(argv=None):
    """
    Check a notebook, print its table and return the exit status:
    0 every test passes, 1 some do not, 2 the notebook cannot be checked (one line on stderr).
    """
    parser = argparse.ArgumentParser(prog="python -m assignments.selfcheck", description=(
        "Run your notebook as grading does, in a scratch copy of its folder, and show the points of each test."))
    parser.add_argument("notebook", type=pathlib.Path, help="the notebook to check, e.g. BatchNormalization.ipynb")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds a cell may run before it is interrupted and scores 0 (default: 600)")
    args = parser.parse_args(argv)
    try:
        rows, manual = check_notebook(args.notebook, timeout=args.timeout)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.notebook.name}: the visible tests, run as grading runs them\n")
    print("\n".join(format_table(rows, manual)))
    return 0 if all(row["score"] >= row["max_score"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
