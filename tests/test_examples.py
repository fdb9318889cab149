"""Example submissions are made from the committed releases and plant each bug exactly."""
import pytest

from autograder.course import REPO_ROOT
from autograder.examples import BLANK, CORRECT, EXAMPLES, Bug, Edit, example_notebooks, plant


@pytest.fixture(scope="module")
def batchnorm_examples():
    return example_notebooks(REPO_ROOT, "batchnorm")


def sources(nb):
    return [cell.source for cell in nb.cells]


def test_there_is_a_correct_a_blank_and_one_submission_per_bug(batchnorm_examples):
    expected = {CORRECT, BLANK} | {bug.student for bug in EXAMPLES["batchnorm"]}
    assert set(batchnorm_examples) == expected
    assert all(batchnorm_examples[s] for s in expected)


def test_correct_submission_has_no_stub_and_blank_has_all(batchnorm_examples):
    for nb in batchnorm_examples[CORRECT].values():
        assert not any("raise NotImplementedError()" in s for s in sources(nb))
    for nb in batchnorm_examples[BLANK].values():
        assert any("raise NotImplementedError()" in s for s in sources(nb))


def test_each_bug_changes_only_solution_cells(batchnorm_examples):
    (name,) = batchnorm_examples[CORRECT]
    correct = batchnorm_examples[CORRECT][name]
    for bug in EXAMPLES["batchnorm"]:
        buggy = batchnorm_examples[bug.student][name]
        changed = {c.metadata["nbgrader"]["grade_id"] for c, b in zip(correct.cells, buggy.cells)
                   if c.source != b.source}
        assert changed == {edit.cell for edit in bug.edits}, bug.student


def test_an_edit_that_no_longer_matches_raises(batchnorm_examples):
    (nb,) = batchnorm_examples[CORRECT].values()
    stale = Bug("bug-stale", "edit text missing", (Edit("batchnorm_forward", "no such code", "x"),), frozenset())
    with pytest.raises(ValueError, match="update autograder/examples.py"):
        plant(nb, stale)
