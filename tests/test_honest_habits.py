"""Honest habits keep every point, unflagged, under the harness and under stock `nbgrader autograde`.

The habits (autograder/examples/bug_catalog/habits.py) are correct submissions written
the way students write: a helper in a cell of their own, the setup cell's
imports, a magic on a solution cell's first line, a module beside the
notebook, a lot of printing. Whatever runs in the student's kernel as they
wrote it must grade the same outside it. The grading runs are the session's
(conftest.graded_catalog), which the catalog's bugs share.
"""
import pytest

from autograder.examples import CORRECT

pytestmark = pytest.mark.e2e


def test_every_habit_keeps_every_point_under_the_harness_unflagged(graded_catalog):
    harness, outcomes = graded_catalog.harness, graded_catalog.outcomes
    for student in graded_catalog.habits:
        assert harness[student] == harness[CORRECT], (graded_catalog.assignment, student)
        assert outcomes[student].status == "graded", (graded_catalog.assignment, student, outcomes[student].messages)


def test_every_habit_keeps_every_point_under_stock_nbgrader(graded_catalog):
    harness, stock = graded_catalog.harness, graded_catalog.stock
    assert stock[CORRECT] == harness[CORRECT]
    for student in graded_catalog.habits:
        assert stock[student] == stock[CORRECT], (graded_catalog.assignment, student)
