"""The README's "Writing tests" example: an assignment of an instructor's own, judged outside the kernel.

docs/example_course/source/affine/Affine.ipynb is written as the README says,
and nothing in autograder/ knows it. The harness must grade it as it grades
the built-in assignments: the correct submission in full, a bug where its test
catches it, a monkeypatching cheat with nothing (and flagged), every test cell
judged outside the kernel.
"""
import shutil

import pytest

from autograder.examples.bug_catalog import Bug, Edit
from autograder.course import CONFIG_FILE, REPO_ROOT
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.grade.coordinator import grade_assignment
from autograder.release import generate_releases
from autograder.reports.scores import score_table

pytestmark = pytest.mark.e2e
EXAMPLE = REPO_ROOT / "docs" / "example_course"
ASSIGNMENT = "affine"
VARIANTS = (
    Bug("bug-db-keepdims", "db of shape (1, M)",
        (Edit("affine_backward", "db = dout.sum(axis=0)", "db = dout.sum(axis=0, keepdims=True)"),),
        frozenset({"test_affine_backward"})),
    Bug("cheat-monkeypatch", "wrong passes, and numpy and the checks patched to pass",
        (Edit("affine_forward", "out = x @ w + b", "out = x @ w"),
         Edit("affine_backward", "db = dout.sum(axis=0)", "db = None"),
         Edit("affine_backward", "    return dx, dw, db",
              "    return dx, dw, db\n\n\nimport assignments.measures\nnp.allclose = lambda *a, **k: True\n"
              "rel_error = assignments.measures.rel_error = lambda *a, **k: 0.0\n"
              "expect_close = lambda *a, **k: None\nRubric.score = lambda self: self.points")),
        frozenset({"test_affine_forward", "test_affine_backward"})),
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("example") / "course"
    shutil.copytree(EXAMPLE / "source", course / "source")
    shutil.copy(REPO_ROOT / CONFIG_FILE, course / CONFIG_FILE)
    generate_releases(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, VARIANTS)
    outcomes = {o.student: o for o in grade_assignment(course, ASSIGNMENT, workers=2, progress=False)}
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    return outcomes, {name: points for name, points, _ in tests}, rows


def test_every_cell_is_judged_outside_the_kernel_and_the_solution_earns_all(graded):
    outcomes, full, rows = graded
    assert rows[CORRECT] == full == {"test_affine_forward": 2, "test_affine_backward": 2}
    assert outcomes[CORRECT].status == "graded", outcomes[CORRECT].messages  # no cell left to the kernel
    assert set(rows[BLANK].values()) == {0}


def test_a_bug_loses_points_where_its_hidden_test_catches_it(graded):
    outcomes, full, rows = graded
    assert rows["bug-db-keepdims"] == {"test_affine_forward": 2, "test_affine_backward": 1}
    assert outcomes["bug-db-keepdims"].status == "graded"


def test_a_monkeypatching_cheat_earns_nothing_and_is_flagged(graded):
    outcomes, _, rows = graded
    assert set(rows["cheat-monkeypatch"].values()) == {0}
    cheat = outcomes["cheat-monkeypatch"]
    assert cheat.status == "flagged"
    assert any("'dx, dw and db match the numeric gradients': in the kernel ok, outside it FAIL" in m
               for m in cheat.messages), cheat.messages
