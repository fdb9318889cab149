"""The harness grades every assignment: each example submission gets the points its bug says, and nothing is flagged.

Every assignment's examples go through the harness (sandbox, verdicts outside
the kernel) and must score as stock nbgrader scores them in the kernel
(tests/test_demo.py): each bug loses points exactly where the catalog says, in
and out of the kernel, with every test cell judged outside the kernel.
"""
import pytest

from autograder.examples.bug_catalog import EXAMPLES
from autograder.course import ASSIGNMENTS
from autograder.examples import BLANK, CORRECT
from autograder.grade.coordinator import grade_assignment
from autograder.reports.scores import score_table
from conftest import build_course

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_example_scores_as_its_bug_says_judged_outside_the_kernel(tmp_path, assignment):
    bugs = EXAMPLES[assignment]
    course = build_course(tmp_path / "course", {CORRECT, BLANK, *(bug.student for bug in bugs)}, assignment)
    outcomes = {o.student: o for o in grade_assignment(course, assignment, workers=2, progress=False)}
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", assignment)
    full = {name: points for name, points, manual in tests if not manual}
    auto = lambda student: {name: rows[student][name] for name in full}
    assert auto(CORRECT) == full
    assert set(auto(BLANK).values()) == {0}
    for bug in bugs:
        lost = {name for name in full if auto(bug.student)[name] < full[name]}
        assert lost == set(bug.affected), f"{bug.student}: lost points in {sorted(lost)}"
    flagged = {student: o.messages for student, o in outcomes.items() if o.status == "flagged"}
    assert not flagged
    assert outcomes[CORRECT].status == "graded", outcomes[CORRECT].messages  # no cell left to the kernel
