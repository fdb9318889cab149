"""The student self-check: `python -m autograder check NOTEBOOK`.

Runs the notebook top to bottom in a scratch copy of its folder (the folder
itself is never written to), scores each test cell the way nbgrader does
(nbgrader.utils.determine_grade: partial credit from the cell's last value, 0
for an error) and prints a table of points with the checks that failed. A
student's own notebook holds the visible tests only; the hidden ones run when
the instructor grades.

Exit status: 0 when every test earns its points, 1 otherwise, 2 when the
notebook cannot be checked (missing, not a notebook, no test cells, kernel died).
"""
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
from nbgrader import utils
from nbgrader.preprocessors import IgnorePattern

from .preprocessors import STDERR_WARNINGS
from .reports.outcomes import cell_outcome, outcome_lines

# Stderr lines nbgrader ignores when it grades (IgnorePattern in nbgrader_config.py): numpy warnings.


class CheckError(Exception):
    """The notebook cannot be checked; the message says why, in one line."""


def check_notebook(path, *, timeout=600):
    """
    Run a notebook in a scratch copy of its folder and score its test cells.

    Inputs:
    - path: The notebook file (its folder is copied: sibling notebooks and data stay reachable)
    - timeout: Seconds one cell may run before it is interrupted (it then scores 0)

    Returns (rows, ok): rows holds one dict per test cell (graded code cell
    that is not an answer), in notebook order: grade_id, score, max_score,
    failures (the failed checks, {description, passed, message}) and error
    ('ExceptionType: message' if the cell raised, else None); ok is True when
    every test earned its max_score.
    Raises CheckError when the file is missing, is not a valid notebook, has no
    test cell, or its kernel cannot run.
    """
    path = pathlib.Path(path)
    nb = _read(path)
    if not any(_is_test(cell) for cell in nb.cells):
        raise CheckError(f"{path} has no graded test cells: is it a notebook of this course?")
    with tempfile.TemporaryDirectory() as scratch:
        folder = shutil.copytree(path.parent, pathlib.Path(scratch) / "notebook",
                                 ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        _execute(nb, folder, timeout)
    IgnorePattern(pattern=STDERR_WARNINGS).preprocess(nb, {})
    rows = []
    for cell in filter(_is_test, nb.cells):
        outcome = cell_outcome(cell)
        score, max_score = utils.determine_grade(cell)
        rows.append({"grade_id": outcome["grade_id"], "score": score, "max_score": max_score,
                     "failures": [check for check in outcome["checks"] if not check["passed"]],
                     "error": outcome["error"]})
    return rows, all(row["score"] >= row["max_score"] for row in rows)


def _read(path):
    """The notebook at path, validated; CheckError with a one-line reason otherwise."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in filter(_is_test, nb.cells):
            float(cell.metadata.nbgrader["points"])
    except OSError as error:
        raise CheckError(f"cannot read {path}: {error.strerror}") from None
    except Exception as error:  # nbformat reports bad content with many exception types
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CheckError(f"{path} is not a valid notebook: {reason}") from None
    return nb


def _is_test(cell):
    """A graded code cell that is not an answer: the autograder tests nbgrader scores from their output."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _execute(nb, folder, timeout):
    """Execute nb in place with its working directory in folder, errors allowed, as `nbgrader validate` does."""
    client = NotebookClient(nb, timeout=timeout, interrupt_on_timeout=True, kernel_name="python3",
                            allow_errors=True, resources={"metadata": {"path": str(folder)}})
    try:
        # set as `nbgrader validate` does: the notebooks then run their reduced experiments
        # (the kernel's own log lines, such as its transport warning, are not the notebook's output)
        client.execute(env={**os.environ, "NBGRADER_EXECUTION": "validate"}, stderr=subprocess.DEVNULL)
    except NoSuchKernel:
        raise CheckError("no python3 Jupyter kernel: install ipykernel in this environment") from None
    except DeadKernelError:
        raise CheckError("the kernel died while running the notebook (out of memory?)") from None


def format_check(rows):
    """
    The rows of check_notebook as a table: one line per test with its points,
    then, under a test that lost points, its failed checks and its error.
    """
    width = max(len(name) for name in ["total", *(row["grade_id"] for row in rows)])
    points = lambda score, max_score: f"{score:g} / {max_score:g}".rjust(11)
    lines = []
    for row in rows:
        passed = row["score"] >= row["max_score"]
        lines.append(f"{row['grade_id'].ljust(width)}  {points(row['score'], row['max_score'])}  "
                     f"{'ok' if passed else 'FAIL'}")
        lines += ["    " + line for line in outcome_lines({"checks": row["failures"], "error": row["error"]})]
    full = sum(row["score"] >= row["max_score"] for row in rows)
    total = points(sum(row["score"] for row in rows), sum(row["max_score"] for row in rows))
    lines.append(f"{'total'.ljust(width)}  {total}  {full} of {len(rows)} tests earn full points")
    if any("NotImplementedError" in line for line in lines):
        lines.append("\nNotImplementedError: a solution cell still has `raise NotImplementedError()`; "
                     "replace it with your code.")
    return "\n".join(lines)


def add_check_parser(subparsers):
    """Add the 'check' subcommand to an argparse subparsers object; run_check runs it."""
    parser = subparsers.add_parser(
        "check", help="run your notebook in a scratch copy and show the points of each test")
    _add_arguments(parser)
    return parser


def _add_arguments(parser):
    parser.add_argument("notebook", type=pathlib.Path, help="the notebook to check, e.g. BatchNormalization.ipynb")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds a cell may run before it is interrupted and scores 0 (default: 600)")


def run_check(args):
    """
    Check args.notebook, print the table and return the exit status:
    0 every test passes, 1 some do not, 2 the notebook cannot be checked (one line on stderr).
    """
    try:
        rows, ok = check_notebook(args.notebook, timeout=args.timeout)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_check(rows))
    return 0 if ok else 1
