"""Numeric gradients against gradients known in closed form."""
import numpy as np

from assignments.measures import rel_error
from assignments.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array


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


def test_verbose_prints_each_index(capsys):
    eval_numerical_gradient(lambda v: float(np.sum(v)), np.zeros(2), verbose=True)
    assert capsys.readouterr().out.count("(") == 2


def test_rel_error_is_zero_for_equal_and_one_for_opposite():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.ones(3), -np.ones(3)) == 1.0
