"""Per-student, per-test scores read from an nbgrader gradebook."""
import os

import sqlalchemy
from nbgrader.api import Gradebook


def score_table(db_url, assignment):
    """
    Scores of every graded cell of every submission of an assignment.

    Returns (tests, rows): tests is a list of (grade_id, max_score, manual) in
    notebook order, manual True for answer cells an instructor grades; rows maps
    student id -> {grade_id: score}, with score None where the cell waits for
    manual grading.
    """
    with Gradebook(db_url) as gb:
        tests = []
        for notebook in gb.find_assignment(assignment).notebooks:
            answers = {cell.name for cell in notebook.solution_cells}
            tests += [(cell.name, cell.max_score, cell.name in answers) for cell in notebook.grade_cells]
        rows = {}
        for submission in gb.assignment_submissions(assignment):
            scores = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores[grade.name] = None if grade.needs_manual_grade else grade.score
            rows[submission.student.id] = scores
    return tests, rows


def format_table(tests, rows):
    """The score table as aligned text: one line per student, one column per test, then the total."""
    names = [name for name, _, _ in tests]
    total_max = sum(points for _, points, _ in tests)
    headers = ["student", *names, "total"]
    lines = [["", *[f"/{points:g}" for _, points, _ in tests], f"/{total_max:g}"]]
    for student in sorted(rows):
        scores = [rows[student].get(name) for name in names]
        total = sum(score or 0 for score in scores)
        lines.append([student, *["manual" if s is None else f"{s:g}" for s in scores], f"{total:g}"])
    widths = [max(len(row[i]) for row in [headers, *lines]) for i in range(len(headers))]
    render = lambda row: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                                   for i, (cell, w) in enumerate(zip(row, widths)))
    return "\n".join(render(row) for row in [headers, *lines])


def require_gradebook(db_url):
    """Raise ValueError if db_url names a SQLite file that does not exist (nbgrader would create an empty one)."""
    url = sqlalchemy.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not os.path.exists(url.database):
        raise ValueError(f"no gradebook at {url.database}")
