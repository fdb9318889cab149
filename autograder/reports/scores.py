"""Per-student, per-test scores read from an nbgrader gradebook."""
import csv
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


def total(row):
    """A student's total: the sum of the scores, answers waiting for manual grading counting 0."""
    return sum(score or 0 for score in row.values())


def format_compact(tests, rows, statuses=None, width=100):
    """
    The score table as lines of at most `width` characters: one per student, with the total out of the
    autograded points and the tests that lost points (the most lost first), cut to fit.

    Inputs:
    - tests, rows: As score_table returns them
    - statuses: {student: a word shown after the total, e.g. the harness's 'flagged'}, or None
    - width: The most characters of a line
    """
    auto = [(name, points) for name, points, manual in tests if not manual]
    full = sum(points for _, points in auto)
    name_width = min(max(map(len, rows), default=0), 40)
    lines = []
    for student in sorted(rows):
        row = rows[student]
        lost = sorted(((points - (row.get(name) or 0), name) for name, points in auto
                       if (row.get(name) or 0) < points), key=lambda pair: -pair[0])
        where = (f"lost every test ({len(auto)})" if len(lost) == len(auto) and auto else
                 ", ".join(f"{name} -{points:g}" for points, name in lost))
        status = (statuses or {}).get(student, "")
        shown = student if len(student) <= name_width else student[:name_width - 1] + "~"
        line = f"  {shown:<{name_width}} {total(row):6.2f} / {full:g}  {status:<8} {where}".rstrip()
        lines.append(line if len(line) <= width else line[:width - 4] + " ...")
    return lines


def write_score_csv(tests, rows, path):
    """Write the full score table as CSV: one row per student, one column per test (max points in the header), total."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *[f"{name} (/{points:g}{', manual' if manual else ''})"
                                       for name, points, manual in tests], "total"])
        for student in sorted(rows):
            scores = [rows[student].get(name) for name, _, _ in tests]
            writer.writerow([student, *["" if score is None else f"{score:g}" for score in scores],
                             f"{total(rows[student]):g}"])


def require_gradebook(db_url):
    """Raise ValueError if db_url names a SQLite file that does not exist (nbgrader would create an empty one)."""
    url = sqlalchemy.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not os.path.exists(url.database):
        raise ValueError(f"no gradebook at {url.database}")
