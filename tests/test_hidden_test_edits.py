"""An instructor's edit of the hidden tests changes both verdicts together: there is one definition of each check.

A scratch copy of the course gets two edits of its source, then its releases
rebuilt by nbgrader: the hidden tests of test_spatial_test_mode deleted, and
the tolerance of the hidden check that reads eps from gn_param loosened. Two
bugs that only those hidden checks caught now keep those points, under the
harness (the verdict outside the kernel) and under stock `nbgrader autograde`
(the kernel's) alike, and nothing is flagged. Without the edits both bugs lose
them (tests/test_grade_assignments.py, tests/test_grade.py).
"""
import json
import re
import shutil

import pytest

from autograder.examples.bug_catalog import EXAMPLES
from autograder.course import new_course_dir
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.release import generate_releases
from autograder.reports.scores import score_table
from conftest import harness_beside_stock

pytestmark = pytest.mark.e2e
ASSIGNMENT = "batchnorm"
SPATIAL = "SpatialBatchNorm.ipynb"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n", re.S)
EPS_CHECK = ('_reference(x, g, b, 2, eps=0.1), 1e-7, "out")', '_reference(x, g, b, 2, eps=0.1), 10.0, "out")')
BUGS = {bug.student: bug for bug in EXAMPLES[ASSIGNMENT]
        if bug.student in ("bug-test-mode-batch-stats", "bug-groupnorm-eps-ignored")}


def edit_cell(path, grade_id, change):
    nb = json.loads(path.read_text())
    [cell] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    source = "".join(cell["source"])
    edited = change(source)
    assert edited != source, f"the edit of {grade_id} changed nothing"
    cell["source"] = edited.splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def auto_scores(course):
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    return {student: {name: row[name] for name, _, manual in tests if not manual} for student, row in rows.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_course_dir(tmp_path_factory.mktemp("edits") / "harness", (ASSIGNMENT,))
    source = course / "source" / ASSIGNMENT / SPATIAL
    edit_cell(source, "test_spatial_test_mode", lambda text: HIDDEN.sub("", text))
    edit_cell(source, "test_groupnorm_forward", lambda text: text.replace(*EPS_CHECK))
    generate_releases(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, tuple(BUGS.values()))
    shutil.rmtree(course / "submitted" / BLANK)
    stock = shutil.copytree(course, course.parent / "stock")
    outcomes = harness_beside_stock(course, ASSIGNMENT, [stock])
    return outcomes, auto_scores(course), auto_scores(stock)


def lost(scores, student):
    return {name for name, score in scores[student].items() if score < scores[CORRECT][name]}


def test_both_verdicts_agree_cell_by_cell_and_nothing_is_flagged(graded):
    outcomes, harness, stock = graded
    assert harness == stock
    assert all(outcome.status == "graded" for outcome in outcomes.values()), \
        {s: o.messages for s, o in outcomes.items() if o.status != "graded"}


def test_deleting_a_cells_hidden_tests_gives_back_the_points_only_they_took(graded):
    _, harness, stock = graded
    bug = BUGS["bug-test-mode-batch-stats"]
    assert "test_spatial_test_mode" in bug.affected
    assert lost(harness, bug.student) == lost(stock, bug.student) == bug.affected - {"test_spatial_test_mode"}


def test_loosening_a_hidden_checks_tolerance_changes_both_verdicts(graded):
    _, harness, stock = graded
    bug = BUGS["bug-groupnorm-eps-ignored"]
    assert bug.affected == {"test_groupnorm_forward"}
    assert lost(harness, bug.student) == lost(stock, bug.student) == set()
