"""Numeric gradients against gradients known in closed form, at smooth points, kinks and steep bends."""
import numpy as np
import pytest

import assignments.gradient_check as gradient_check
from assignments.measures import rel_error
from assignments.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array, numeric_gradient,
                                        numeric_partials, random_entries)


def test_scalar_function_gradient_matches_closed_form():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x_before = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(v ** 3), x, verbose=False)
    assert rel_error(grad, 3 * x ** 2) < 1e-6
    assert np.array_equal(x, x_before), "the input must be restored"


def test_array_function_gradient_contracts_with_upstream():
    rng = np.random.default_rng(1)
    x, w, dout = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    grad = eval_numerical_gradient_array(lambda v: v @ w, x, dout)
    assert rel_error(grad, dout @ w.T) < 1e-8


def test_numeric_gradient_takes_every_evaluation_at_once_and_leaves_x_unchanged():
    rng = np.random.default_rng(2)
    x, w, dout = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    x_before, calls = x.copy(), []

    def f_many(points):
        calls.append(len(points))
        return [v @ w for v in points]

    assert rel_error(numeric_gradient(f_many, x, dout), dout @ w.T) < 1e-8
    assert calls == [2 * x.size + 1] and np.array_equal(x, x_before)
    assert numeric_gradient(lambda points: [float(v) ** 2 for v in points], np.array(1.5)) == pytest.approx(3.0)


def test_partials_at_sampled_entries_are_those_entries_of_the_gradient():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 30))
    entries = random_entries(x.shape, 12, seed=4)
    assert len(set(entries)) == 12 and entries == sorted(entries) and entries == random_entries(x.shape, 12, seed=4)
    partials = numeric_partials(lambda points: [np.sum(np.sin(v)) for v in points], x, entries)
    assert rel_error(partials, np.array([np.cos(x[ix]) for ix in entries])) < 1e-8
    state = np.random.get_state()[1].copy()
    random_entries(x.shape, 5)
    assert np.array_equal(np.random.get_state()[1], state), "numpy's global random state must not move"


def test_random_entries_are_every_entry_when_the_count_covers_them():
    assert random_entries((2, 2), None) == random_entries((2, 2), 9) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert random_entries((), 3) == [()]


def test_verbose_prints_each_index(capsys):
    eval_numerical_gradient(lambda v: float(np.sum(v)), np.zeros(2), verbose=True)
    assert capsys.readouterr().out.count("(") == 2


def relu_sum(v):
    return float(np.sum(np.maximum(v, 0)))


# x[1] lies 3e-6 from the ReLU's kink, inside the default step 1e-5: the fixed-step difference there is 0.65
KINKED = np.array([-0.7, 3e-6, 1.2])


@pytest.mark.parametrize("refinements, expect_exact", [(gradient_check.REFINEMENTS, True), (0, False)])
def test_a_step_across_a_kink_is_taken_again_smaller(monkeypatch, refinements, expect_exact):
    monkeypatch.setattr(gradient_check, "REFINEMENTS", refinements)
    exact, df = np.array([0.0, 1.0, 1.0]), np.array([2.0, -3.0, 0.5])
    results = {
        "eval_numerical_gradient": eval_numerical_gradient(relu_sum, KINKED.copy(), verbose=False),
        "eval_numerical_gradient_array":
            eval_numerical_gradient_array(lambda v: np.maximum(v, 0), KINKED.copy(), df) / df,
        "numeric_gradient": numeric_gradient(lambda points: [relu_sum(v) for v in points], KINKED),
    }
    for name, grad in results.items():
        assert (np.max(np.abs(grad - exact)) < 1e-9) == expect_exact, (name, grad)


def test_a_steep_bend_is_taken_again_smaller():
    # sqrt(v^2 + 1e-10) bends over a width of 1e-5 around 0: at 3e-5 a step of 1e-5 is off by 1e-3
    x = np.array([3e-5, 0.5])
    grad = eval_numerical_gradient(lambda v: float(np.sum(np.sqrt(v ** 2 + 1e-10))), x, verbose=False)
    assert rel_error(grad, x / np.sqrt(x ** 2 + 1e-10)) < 1e-6


def test_a_smooth_function_gets_the_plain_centered_difference():
    rng = np.random.default_rng(5)
    x, calls = rng.standard_normal(6), []

    def f_many(points):
        calls.append(len(points))
        return [np.sum(np.sin(v) * v) for v in points]

    h = 1e-5
    plain = [(np.sum(np.sin(x + h * e) * (x + h * e)) - np.sum(np.sin(x - h * e) * (x - h * e))) / (2 * h)
             for e in np.eye(6)]
    np.testing.assert_array_equal(numeric_gradient(f_many, x, h=h), plain)
    assert calls[0] == 13 and len(calls) <= 2, "x and all 12 points, then at most one smaller step to compare with"


def test_float32_inputs_keep_their_step_which_smaller_ones_could_not_resolve():
    calls = []

    def f_many(points):
        calls.append(len(points))
        return [relu_sum(v) for v in points]

    numeric_gradient(f_many, KINKED.astype(np.float32), h=1e-3)
    assert calls == [7]


def test_rel_error_is_zero_for_equal_and_one_for_opposite():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.ones(3), -np.ones(3)) == 1.0
