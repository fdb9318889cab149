"""The harness grades every assignment: each example submission gets the points its bug says, and nothing is flagged.

Every assignment's examples go through the harness (sandbox, verdicts outside
the kernel) and must score as stock nbgrader scores them in the kernel
(tests/test_demo.py): each bug loses points exactly where the catalog says, in
and out of the kernel, with every test cell judged outside the kernel.
"""
import nbformat
import pytest

from autograder.course import ASSIGNMENTS, nbgrader
from autograder.examples import BLANK, CORRECT
from autograder.examples.bug_catalog import EXAMPLES
from autograder.grade.coordinator import grade_assignment
from autograder.reports.scores import score_table
from conftest import assert_failures_tell_one_line, assert_page_tells_no_traceback, build_course

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """(assignment, course folder, {student: outcome}): every example graded by the harness, feedback written."""
    assignment = request.param
    bugs = EXAMPLES[assignment]
    course = build_course(tmp_path_factory.mktemp(assignment) / "course",
                          {CORRECT, BLANK, *(bug.student for bug in bugs)}, assignment)
    outcomes = {o.student: o for o in grade_assignment(course, assignment, workers=2, progress=False)}
    nbgrader(course, "generate_feedback", assignment, "--force")
    return assignment, course, outcomes


def test_every_example_scores_as_its_bug_says_judged_outside_the_kernel(graded):
    assignment, course, outcomes = graded
    bugs = EXAMPLES[assignment]
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", assignment)
    full = {name: points for name, points, manual in tests if not manual}
    auto = lambda student: {name: rows[student][name] for name in full}
    assert auto(CORRECT) == full
    assert set(auto(BLANK).values()) == {0}
    for bug in bugs:
        lost = {name for name in full if auto(bug.student)[name] < full[name]}
        assert lost == set(bug.affected), f"{bug.description}: lost points in {sorted(lost)}"
    flagged = {student: o.messages for student, o in outcomes.items() if o.status == "flagged"}
    assert not flagged
    assert outcomes[CORRECT].status == "graded", outcomes[CORRECT].messages  # no cell left to the kernel


def test_every_failing_check_tells_one_line_in_the_judged_notebook_and_the_feedback(graded):
    """The judge's outputs (written into the autograded notebooks) and nbgrader's feedback pages."""
    assignment, course, _ = graded
    for student in [BLANK, *(bug.student for bug in EXAMPLES[assignment])]:
        for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
            assert_failures_tell_one_line(nbformat.read(path, as_version=4), assignment, f"{student}/{path.name}")
        for page in sorted((course / "feedback" / student / assignment).glob("*.html")):
            assert_page_tells_no_traceback(page.read_text(), f"{student}/{page.name}")
