"""What each graded cell of an autograded notebook reported, in the lines a student reads.

The Rubric's ``ok`` / ``FAIL`` lines (assignments.grading) and the error a cell
raised, one line each; never code or tracebacks, so hidden checks stay hidden.
"""
import os
import re

import nbformat
from nbgrader import utils

# A Rubric check line (`ok    ...` or `FAIL  ...`), for a failure followed by its `      Type: message` line.
# An exception without a message prints as 'Type: '; the message group leaves that colon out.
_CHECK_LINE = re.compile(r"^(ok {4}|FAIL {2})(\S.*)$(?:\n {6}(\S.*?):?[ \t]*$)?", re.M)

def notebook_outcomes(autograded_notebook):
    """
    What each graded cell of an executed notebook reported.

    Inputs:
    - autograded_notebook: A NotebookNode, or the path of a notebook file

    Returns a list, in notebook order, of one dict per graded cell (nbgrader
    metadata grade: true): grade_id, points (its maximum), checks (a list of
    {description, passed, message}, message the failure's 'Type: message' line
    or None) and error ('ExceptionType: message' if the cell raised, else None).
    """
    nb = autograded_notebook
    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(nb, as_version=4)
    return [cell_outcome(cell) for cell in nb.cells if utils.is_grade(cell)]


def cell_outcome(cell):
    """The outcome of one graded cell, as described in notebook_outcomes."""
    outputs = cell.get("outputs", [])
    stdout = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    errors = [o for o in outputs if o.output_type == "error"]
    return {
        "grade_id": cell.metadata.nbgrader["grade_id"],
        "points": float(cell.metadata.nbgrader["points"]),
        "checks": [_check(*found) for found in _CHECK_LINE.findall(stdout)],
        "error": _error_line(errors[0]) if errors else None,
    }


def _check(prefix, description, message):
    passed = prefix.startswith("ok")
    return {"description": description, "passed": passed, "message": None if passed else message or None}


def outcome_lines(outcome):
    """A cell outcome as the lines a student reads: one per check, failures with their message, then the error."""
    lines = []
    for check in outcome["checks"]:
        lines.append(("ok    " if check["passed"] else "FAIL  ") + check["description"])
        if check["message"]:
            lines.append("      " + check["message"])
    if outcome["error"]:
        lines.append(f"error: {outcome['error']}")
    return lines


def _error_line(output):
    return f"{output.ename}: {output.evalue}" if output.evalue else output.ename
