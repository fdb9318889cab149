"""Example submissions are made from the committed releases and plant each bug exactly."""
import pytest

from autograder import examples
from autograder.examples.bug_catalog import EXAMPLES, Bug, Edit
from autograder.course import ASSIGNMENTS, REPO_ROOT
from autograder.examples import BLANK, CORRECT, example_notebooks, plant


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assignment(request):
    return request.param


@pytest.fixture(scope="module")
def assignment_examples(assignment):
    return example_notebooks(REPO_ROOT, assignment)


@pytest.fixture(scope="module")
def batchnorm_examples():
    return example_notebooks(REPO_ROOT, "batchnorm")


def sources(nb):
    return [cell.source for cell in nb.cells]


def test_there_is_a_correct_a_blank_and_one_submission_per_bug(assignment, assignment_examples):
    expected = {CORRECT, BLANK} | {bug.student for bug in EXAMPLES[assignment]}
    assert set(assignment_examples) == expected
    assert all(assignment_examples[s] for s in expected)


def test_correct_submission_has_no_stub_and_blank_has_all(assignment_examples):
    for nb in assignment_examples[CORRECT].values():
        assert not any("raise NotImplementedError()" in s for s in sources(nb))
    assert any("raise NotImplementedError()" in s for nb in assignment_examples[BLANK].values() for s in sources(nb))


def test_each_bug_changes_exactly_the_cells_it_edits(assignment, assignment_examples):
    for bug in EXAMPLES[assignment]:
        changed = set()
        for name, correct in assignment_examples[CORRECT].items():
            buggy = assignment_examples[bug.student][name]
            changed |= {c.metadata["nbgrader"]["grade_id"] for c, b in zip(correct.cells, buggy.cells)
                        if c.source != b.source}
        assert changed == {edit.cell for edit in bug.edits}, bug.student


def test_every_assignment_has_example_bugs_with_unique_student_ids(assignment):
    students = [bug.student for bug in EXAMPLES[assignment]]
    assert students and len(students) == len(set(students)) and not {CORRECT, BLANK} & set(students)


def test_an_edit_of_a_cell_no_notebook_has_raises(monkeypatch):
    lost = Bug("bug-lost", "cell renamed", (Edit("no_such_cell", "a", "b"),), frozenset())
    monkeypatch.setitem(examples.EXAMPLES, "batchnorm", (lost,))
    with pytest.raises(ValueError, match="no notebook of 'batchnorm' has cell"):
        example_notebooks(REPO_ROOT, "batchnorm")


def test_an_edit_that_no_longer_matches_raises(batchnorm_examples):
    nb = batchnorm_examples[CORRECT]["BatchNormalization.ipynb"]
    stale = Bug("bug-stale", "edit text missing", (Edit("batchnorm_forward", "no such code", "x"),), frozenset())
    with pytest.raises(ValueError, match="update autograder/bug_catalog/"):
        plant(nb, stale)
