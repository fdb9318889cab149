"""The harness grades every assignment: each example submission gets the points its bug says, and nothing is flagged.

Every assignment's examples go through the harness (sandbox, verdicts outside
the kernel): each bug loses points exactly where the catalog says, in and out
of the kernel, with every test cell judged outside the kernel. The
grading run is the session's (conftest.graded_catalog), which the honest
habits share.
"""
import nbformat
import pytest

from autograder.examples import BLANK, CORRECT
from autograder.examples.bug_catalog import EXAMPLES
from conftest import assert_failures_tell_one_line, assert_page_tells_no_traceback

pytestmark = pytest.mark.e2e


def test_every_example_scores_as_its_bug_says_judged_outside_the_kernel(graded_catalog):
    auto, outcomes = graded_catalog.harness, graded_catalog.outcomes
    full = {name: points for name, points, manual in graded_catalog.tests if not manual}
    assert auto[CORRECT] == full
    assert set(auto[BLANK].values()) == {0}
    for bug in EXAMPLES[graded_catalog.assignment]:
        lost = {name for name in full if auto[bug.student][name] < full[name]}
        assert lost == set(bug.affected), f"{bug.description}: lost points in {sorted(lost)}"
    flagged = {student: o.messages for student, o in outcomes.items() if o.status == "flagged"}
    assert not flagged
    assert outcomes[CORRECT].status == "graded", outcomes[CORRECT].messages  # no cell left to the kernel


def test_every_failing_check_tells_one_line_in_the_judged_notebook_and_the_feedback(graded_catalog):
    """The judge's outputs (written into the autograded notebooks) and nbgrader's feedback pages."""
    assignment, course = graded_catalog.assignment, graded_catalog.course
    for student in [BLANK, *(bug.student for bug in EXAMPLES[assignment])]:
        for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
            assert_failures_tell_one_line(nbformat.read(path, as_version=4), assignment, f"{student}/{path.name}")
        for page in sorted((course / "feedback" / student / assignment).glob("*.html")):
            assert_page_tells_no_traceback(page.read_text(), f"{student}/{page.name}")
