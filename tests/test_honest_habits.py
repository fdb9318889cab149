"""Honest habits keep every point, unflagged, under the harness and under stock `nbgrader autograde`.

The habits (autograder/bug_catalog/habits.py) are correct submissions written
the way students write: a helper in a cell of their own, the setup cell's
imports, a magic on a solution cell's first line, a module beside the
notebook, a lot of printing. Whatever runs in the student's kernel as they
wrote it must grade the same outside it.
"""
import shutil

import pytest

from autograder.examples.bug_catalog.habits import HABITS
from autograder.course import ASSIGNMENTS, nbgrader, new_course_dir
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.grade.coordinator import grade_assignment
from autograder.release import generate_releases
from autograder.reports.scores import score_table

pytestmark = pytest.mark.e2e


def auto_scores(course, assignment):
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", assignment)
    return {student: {name: row[name] for name, _, manual in tests if not manual} for student, row in rows.items()}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def courses(request, tmp_path_factory):
    """(assignment, harness course, stock course, habit student ids): the same submissions graded both ways."""
    assignment = request.param
    course = new_course_dir(tmp_path_factory.mktemp(assignment) / "harness", (assignment,))
    generate_releases(course, assignment)
    habits = [student for student in write_submissions(course, assignment, HABITS[assignment])
              if student not in (CORRECT, BLANK)]
    shutil.rmtree(course / "submitted" / BLANK)
    stock = shutil.copytree(course, course.parent / "stock")
    outcomes = {o.student: o for o in grade_assignment(course, assignment, workers=2, progress=False)}
    nbgrader(stock, "autograde", assignment)
    return assignment, outcomes, auto_scores(course, assignment), auto_scores(stock, assignment), habits


def test_every_habit_keeps_every_point_under_the_harness_unflagged(courses):
    assignment, outcomes, harness, _, habits = courses
    for student in habits:
        assert harness[student] == harness[CORRECT], (assignment, student)
        assert outcomes[student].status == "graded", (assignment, student, outcomes[student].messages)


def test_every_habit_keeps_every_point_under_stock_nbgrader(courses):
    assignment, _, harness, stock, habits = courses
    assert stock[CORRECT] == harness[CORRECT]
    for student in habits:
        assert stock[student] == stock[CORRECT], (assignment, student)
