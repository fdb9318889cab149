"""One student's Gradescope autograder results.json, scores taken from the nbgrader gradebook."""
import json
import os
import pathlib
import tempfile

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry

from assignments.outcomes import cell_outcome, outcome_lines

from .scores import require_gradebook


def notebook_outcomes(autograded_notebook):
    """
    What each graded cell of an executed notebook reported.

    Inputs:
    - autograded_notebook: A NotebookNode, or the path of a notebook file

    Returns a list, in notebook order, of one dict per graded cell (nbgrader
    metadata grade: true), as assignments.outcomes.cell_outcome makes it: the
    checks' lines and the error's one line, never code or tracebacks.
    """
    nb = autograded_notebook
    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(nb, as_version=4)
    return [cell_outcome(cell) for cell in nb.cells if utils.is_grade(cell)]


def gradescope_results(db_url, assignment, student, autograded_dir):
    """
    A Gradescope autograder results.json for one student's submission.

    Inputs:
    - db_url: The nbgrader gradebook, e.g. 'sqlite:///course/gradebook.db'
    - assignment: Assignment id
    - student: Student id
    - autograded_dir: nbgrader's autograded folder (holding <student>/<assignment>/*.ipynb)

    Returns a dict: score (the gradebook's total, answers waiting for manual
    grading counted as 0), execution_time (seconds the graded notebooks ran),
    output (a summary) and tests, one per grade cell: name ('<notebook>: <grade_id>'),
    score, max_score, output (each check's outcome and message, hidden ones
    included, never their code) and visibility 'visible'.
    Raises ValueError when the gradebook or the submission is missing.
    """
    require_gradebook(db_url)
    folder = pathlib.Path(autograded_dir) / student / assignment
    tests, pending, seconds = [], [], 0.0
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            raise ValueError(f"no submission of {assignment!r} by {student!r} in {db_url}") from None
        for notebook in submission.notebooks:
            path = folder / f"{notebook.name}.ipynb"
            nb = nbformat.read(path, as_version=4) if path.exists() else None
            outcomes = {o["grade_id"]: o for o in notebook_outcomes(nb)} if nb else {}
            seconds += _execution_seconds(nb) if nb else 0.0
            missing = [] if nb else [f"not autograded: {path.name} is not in the submission"]
            position = {name: i for i, name in enumerate(outcomes)}
            for grade in sorted(notebook.grades, key=lambda g: position.get(g.name, len(position))):
                lines = outcome_lines(outcomes[grade.name]) if grade.name in outcomes else missing
                tests.append({
                    "name": f"{notebook.name}: {grade.name}",
                    "score": grade.score,
                    "max_score": grade.max_score,
                    "output": "\n".join(lines + _score_lines(grade, lines)),
                    "visibility": "visible",
                })
                if grade.needs_manual_grade:
                    pending.append(tests[-1])
    return {
        "score": round(sum(test["score"] for test in tests), 4),
        "execution_time": round(seconds, 1),
        "output": _summary(tests, pending),
        "tests": tests,
    }


def _score_lines(grade, lines):
    """How a grade's score was set, where the cell's own lines do not say it."""
    if grade.needs_manual_grade:
        return [f"pending manual grading (0 of {grade.max_score:g} points until then)"]
    if grade.manual_score is not None:
        return [f"graded by hand: {grade.score:g} / {grade.max_score:g}"]
    return [] if lines else [f"autograded: {grade.score:g} / {grade.max_score:g}"]


def _summary(tests, pending):
    """The top-level output: points, tests with full points, answers waiting for manual grading."""
    graded = [test for test in tests if test not in pending]
    full = sum(test["score"] >= test["max_score"] for test in graded)
    lines = [f"{sum(test['score'] for test in tests):g} / {sum(test['max_score'] for test in tests):g} points; "
             f"{full} of {len(graded)} graded tests earned full points."]
    if pending:
        names = ", ".join(test["name"] for test in pending)
        lines.append(f"Pending manual grading ({sum(test['max_score'] for test in pending):g} points): {names}.")
    return "\n".join(lines)


def _execution_seconds(nb):
    """Seconds the code cells of an executed notebook ran, from the timings nbclient records."""
    seconds = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            delta = utils.parse_utc(timing["shell.execute_reply"]) - utils.parse_utc(timing["iopub.execute_input"])
            seconds += delta.total_seconds()
    return seconds


def write_gradescope_results(course_dir, assignment, student, db_url=None):
    """
    Write gradescope_results for one student to <course_dir>/feedback/<student>/<assignment>/results.json.

    Inputs:
    - course_dir: The nbgrader course folder (with autograded/ and, by default, gradebook.db)
    - assignment, student: The submission
    - db_url: The gradebook; default sqlite:///<course_dir>/gradebook.db

    The file is replaced atomically (written to a temporary file, then renamed).
    Returns its path.
    """
    course_dir = pathlib.Path(course_dir)
    results = gradescope_results(db_url or f"sqlite:///{course_dir / 'gradebook.db'}",
                                 assignment, student, course_dir / "autograded")
    target = course_dir / "feedback" / student / assignment / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False) as f:
        json.dump(results, f, indent=2)
    os.replace(f.name, target)
    return target
