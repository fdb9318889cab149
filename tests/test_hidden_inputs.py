"""Every hidden check gives the instructor's solution full points, whatever inputs the course's secret draws.

Judged outside the kernel, a hidden check draws its inputs from hidden_rng(k), seeded by the course's secret.
A check that fails the solution on some draws would mark honest students down in some courses (calibration
then grades the cell in the kernel and every report says so). Each source notebook's cells run once, in one
process and as nbgrader autogrades them (the kernel-only experiments left out); its test cells then run again
under other secrets, each from numpy's random state it started with: a few drawn at random, and seven that
once failed the solution:
- a numeric gradient with a fixed step was wrong (assignments.gradient_check): three put a ReLU input of
  test_fc_net_layernorm's hidden network within the step of its kink, and in one the small-variance
  features of test_backward bend too steeply for that step;
- a float32 output of SpatialBatchNorm's hidden checks had an entry near 0, which a relative error per entry
  judged more finely than float32 rounds (assignments.grading.expect_close): two;
- in test_mlp_backward's hidden network, each ReLU after the first batch norm was on for every example or
  off for every one, so the next batch norm cancelled any shift: dbeta was 0 and the numeric one rounding
  noise, which an error relative to that array alone magnified: one.
"""
import contextlib
import io
import pathlib
import secrets

import numpy as np
import pytest

from assignments import observing
from assignments.notebook_cells import CellRunner, is_skipped, is_test_cell, nbgrader_meta, read_cells

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))
SECRETS = ["s440", "s718", "s930", "f67bac356dc06245", "s61", "s341", "s629", *(secrets.token_hex(8) for _ in range(5))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_solution_passes_every_hidden_check_under_other_secrets(path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.chdir(path.parent)
    runner = CellRunner({}, path.name)
    tests = []  # (grade id, source, numpy's random state before it)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for cell in read_cells(path):
            if cell["cell_type"] != "code" or is_skipped(cell):
                continue
            if is_test_cell(cell):
                tests.append((nbgrader_meta(cell)["grade_id"], cell["source"], np.random.get_state()))
            assert runner.run(cell["source"], nbgrader_meta(cell).get("grade_id")) is None
    assert tests
    failures = []
    for secret in SECRETS:
        monkeypatch.setattr(observing, "_secret", secret)
        for grade_id, source, state in tests:
            np.random.set_state(state)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
                score, error = runner.evaluate(source, grade_id)
            if error is not None or score != runner.namespace["rubric"].points:
                lines = [line for line in printed.getvalue().splitlines() if "FAIL" in line or "Error" in line]
                failures.append(f"secret {secret}, {grade_id}: {error or lines[:3]}")
    assert not failures, failures
