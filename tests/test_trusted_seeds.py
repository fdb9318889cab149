"""The trusted checks hold for the reference solution whatever the seed a submission gets.

Statistical checks (means near 0 after warm-up batches) on too few draws fail a
correct layer for some seeds, and each seed is one student: sweep many of them.
"""
import pytest

from autograder.course import REPO_ROOT
from autograder.examples import CORRECT, example_notebooks
from autograder.trusted.checks import ASSIGNMENTS as TRUSTED
from autograder.trusted.verdict import trusted_verdict
from conftest import run_plainly

pytestmark = pytest.mark.e2e
SEEDS = range(100, 130)


@pytest.mark.parametrize("assignment", sorted(TRUSTED))
def test_the_solution_passes_every_trusted_check_for_every_seed(tmp_path, assignment):
    solution = example_notebooks(REPO_ROOT, assignment)[CORRECT]
    failed = []
    for seed in SEEDS:
        verdicts = trusted_verdict(solution, assignment=assignment, run=run_plainly, seed=seed, workdir=tmp_path)
        failed += [(seed, grade_id, name, message) for grade_id, verdict in verdicts.items()
                   for name, passed, message in verdict.checks if not passed]
    assert not failed, f"{len(failed)} failed checks, the first: {failed[:3]}"
