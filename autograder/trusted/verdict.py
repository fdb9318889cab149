"""The trusted verdict of one submission: the student's functions called outside the student's kernel.

nbgrader decides each test cell inside the kernel that ran the student's code,
so a cell that patches numpy or the Rubric passes every test. Here the student's
solution code runs in a fresh sandboxed process (driver.py) on inputs drawn from
a seed the caller passes; only plain arrays and JSON come back, and every check
is decided in this process against reference.py. One driver run serves every cell.
"""
import pathlib
import shutil
import sys
import zlib

import numpy as np

from . import extract
from . import checks as trusted_checks
from .replies import DriverFailure, read_replies
from .request import Request
from .scoring import failed_cell, score_cell

DRIVER = "driver.py"
CALL_SECONDS = 10  # for each cell and each call of the driver; the slowest call of the solution takes 0.1 s
REQUEST_FILES = ("program.py", "calls.json", "inputs.npz", DRIVER)
ANSWER_FILES = ("results.json", "outputs.npz")


def trusted_verdict(notebooks, *, assignment, run, seed, workdir):
    """
    Score every graded test cell of a submission with the trusted checks.

    Inputs:
    - notebooks: {notebook file name: NotebookNode}, the submission (its cells'
      nbgrader metadata as nbgrader restored it)
    - assignment: The assignment's name, which selects its checks (checks.ASSIGNMENTS)
    - run: run(command, workdir) runs a command (a list of strings) in a sandbox
      and returns an object with returncode, stdout, stderr and timed_out
    - seed: Non-negative integer the inputs are drawn from
    - workdir: An existing folder the sandbox can read and write; the request and
      the driver's answer are written there

    Returns {grade id: scoring.CellVerdict} for the graded code cells of the
    notebooks that the assignment's checks know (a cell it does not know has no trusted
    verdict, so the caller keeps the in-kernel one; the tests make sure every
    cell of the source notebooks is known). When the driver crashes, times out
    or writes something malformed, every cell gets 0 with that reason as each
    check's message.
    """
    workdir = pathlib.Path(workdir)
    known = trusted_checks.for_assignment(assignment)
    graded = [cell for cell in extract.graded_cells(notebooks, known.notebooks) if cell.grade_id in known.cells]
    if not graded:
        return {}
    request = Request()
    checks = {cell.grade_id: known.cells[cell.grade_id](request, _cell_rng(seed, cell.grade_id)) for cell in graded}
    _write_request(workdir, request, extract.solution_cells(notebooks, known.notebooks))
    result = run([sys.executable, str(workdir / DRIVER), str(workdir)], workdir)
    try:
        request.resolve(_answer(result, workdir, request))
    except DriverFailure as failure:
        return {cell.grade_id: failed_cell(cell.points, checks[cell.grade_id], str(failure)) for cell in graded}
    return {cell.grade_id: score_cell(cell.points, checks[cell.grade_id]) for cell in graded}


def _cell_rng(seed, grade_id):
    """The random generator of one cell: the same for the same seed, and independent of the other cells."""
    return np.random.default_rng([seed, zlib.crc32(grade_id.encode())])


def _write_request(workdir, request, cells):
    for name in REQUEST_FILES + ANSWER_FILES:  # an earlier run's answer must not be read as this one's
        (workdir / name).unlink(missing_ok=True)
    text, table = extract.program(cells)
    (workdir / "program.py").write_text(text, encoding="utf-8")
    request.write(workdir, cells=table, seconds=CALL_SECONDS)
    shutil.copyfile(pathlib.Path(__file__).with_name(DRIVER), workdir / DRIVER)


def _answer(result, workdir, request):
    """{call id: Outcome} from a finished driver run; raises DriverFailure."""
    if result.timed_out:
        raise DriverFailure("the driver ran out of time")
    if result.returncode != 0:
        raise DriverFailure(f"the driver exited with status {result.returncode}: {_tail(result.stderr)}")
    return read_replies(workdir, request.call_ids)


def _tail(stderr, lines=5):
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr or "")
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no message)"
