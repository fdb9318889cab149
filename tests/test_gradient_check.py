"""Numeric gradients against gradients known in closed form."""
import numpy as np
import pytest

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
    assert calls == [2 * x.size] and np.array_equal(x, x_before)
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


def test_rel_error_is_zero_for_equal_and_one_for_opposite():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.ones(3), -np.ones(3)) == 1.0
