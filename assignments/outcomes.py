"""What an executed test cell reported, read back from its outputs, and the points nbgrader gives it.

A test cell prints one line per check (assignments.grading.Rubric): `ok    <description>`
or `FAIL  <description>` followed by its reason indented by six spaces, then
`NOTE  ...` lines naming earlier failed tests that may cause its failures; it
ends with its points as its last value, or with a one-line error
(failures.CheckFailed, CodeFailed). The self-check (selfcheck.py) and the
grader's reports (feedback, Gradescope results) read that here, never code or
tracebacks, so hidden checks stay hidden.
"""
import re

from .failures import ERROR_TYPES
from .grading import NOTE
from .notebook_cells import nbgrader_meta

# A Rubric check line (`ok    ...` or `FAIL  ...`), for a failure followed by its `      Type: message` line.
# An exception without a message prints as 'Type: '; the message group leaves that colon out.
_CHECK_LINE = re.compile(r"^(ok {4}|FAIL {2})(\S.*)$(?:\n {6}(\S.*?):?[ \t]*$)?", re.M)
_NOTE_LINE = re.compile(rf"^{NOTE}(\S.*)$", re.M)

# Stderr lines that do not zero a test cell: numpy's warnings (nbgrader's IgnorePattern, set in nbgrader_config.py)
STDERR_WARNINGS = r"\w+Warning: "


def is_manual(cell):
    """A graded answer (a solution cell with points): an instructor grades it by hand."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def cell_outcome(cell):
    """
    The outcome of one graded cell of an executed notebook (an nbformat cell).

    Returns a dict: grade_id, points (its maximum), checks (a list of
    {description, passed, message}, message the failure's reason line or None),
    notes (the NOTE lines' text: earlier failed tests that may cause this one's
    failures) and error (the one line its error output tells, else None).
    """
    outputs = cell.get("outputs", [])
    stdout = "".join(_text(o) for o in outputs if o["output_type"] == "stream" and o["name"] == "stdout")
    errors = [o for o in outputs if o["output_type"] == "error"]
    return {
        "grade_id": nbgrader_meta(cell)["grade_id"],
        "points": float(nbgrader_meta(cell)["points"]),
        "checks": [_check(*found) for found in _CHECK_LINE.findall(stdout)],
        "notes": _NOTE_LINE.findall(stdout),
        "error": error_line(errors[0]) if errors else None,
    }


def _check(prefix, description, message):
    passed = prefix.startswith("ok")
    return {"description": description, "passed": passed, "message": None if passed else message or None}


def outcome_lines(outcome, failed_only=False):
    """
    A cell outcome as the lines a student reads: one per check (failed ones only, if failed_only),
    failures with their message, the notes, then the error.
    """
    lines = []
    for check in outcome["checks"]:
        if check["passed"] and failed_only:
            continue
        lines.append(("ok    " if check["passed"] else "FAIL  ") + check["description"])
        if check["message"]:
            lines.append("      " + check["message"])
    lines += [NOTE + note for note in outcome.get("notes", ())]
    if outcome["error"]:
        lines.append(f"error: {outcome['error']}")
    return lines


def score(cell):
    """
    The points nbgrader gives an executed test cell (nbgrader.utils.determine_grade), once the
    stderr outputs matching STDERR_WARNINGS are left out (IgnorePattern): 0 for an error or another
    stderr output, else its last value when that is a number, else every point.
    """
    points = float(nbgrader_meta(cell)["points"])
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            return 0.0
        if output["output_type"] == "stream" and output["name"] == "stderr" \
                and not re.search(STDERR_WARNINGS, _text(output)):
            return 0.0
        if output["output_type"] == "execute_result":
            try:
                return float(output["data"]["text/plain"])
            except (KeyError, ValueError):
                return points
    return points


def error_line(output):
    """The one line an error output (an nbformat output dict) tells: 'Type: message', or a Failure's message."""
    if output["ename"] in ERROR_TYPES:  # its message is the line IPython shows
        return output["evalue"]
    return f"{output['ename']}: {output['evalue']}" if output["evalue"] else output["ename"]


def _text(output):
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)
