"""Update rules of assignments.optim: two steps of each against values worked out by hand."""
import numpy as np
import pytest

from assignments import optim
from assignments.optim import adam, rmsprop, sgd, sgd_momentum

# Two steps from w = [1, 1] with the gradients [1, -2] then [3, 2].
W0 = np.array([1.0, 1.0])
DW1, DW2 = np.array([1.0, -2.0]), np.array([3.0, 2.0])


def two_steps(rule, config):
    w1, config = rule(W0, DW1, config)
    w2, config = rule(w1, DW2, config)
    return w1, w2, config


def test_sgd_steps_against_the_gradient():
    w1, w2, _ = two_steps(sgd, {"learning_rate": 0.1})
    assert np.allclose(w1, [0.9, 1.2]) and np.allclose(w2, [0.6, 1.0])


def test_sgd_momentum_accumulates_a_velocity():
    w1, w2, config = two_steps(sgd_momentum, {"learning_rate": 0.1, "momentum": 0.5})
    # v1 = -0.1 dw1 = [-0.1, 0.2]; v2 = 0.5 v1 - 0.1 dw2 = [-0.35, -0.1]
    assert np.allclose(w1, [0.9, 1.2]) and np.allclose(w2, [0.55, 1.1])
    assert np.allclose(config["velocity"], [-0.35, -0.1])


def test_rmsprop_divides_by_the_root_of_a_moving_average_of_squares():
    w1, w2, config = two_steps(rmsprop, {"learning_rate": 0.1, "decay_rate": 0.9, "epsilon": 0.0})
    # cache1 = 0.1 dw1^2 = [0.1, 0.4]; cache2 = 0.9 cache1 + 0.1 dw2^2 = [0.99, 0.76]
    assert np.allclose(w1, [1 - 0.1 / 0.1 ** 0.5, 1 + 0.2 / 0.4 ** 0.5])
    assert np.allclose(w2, w1 - [0.3 / 0.99 ** 0.5, 0.2 / 0.76 ** 0.5])
    assert np.allclose(config["cache"], [0.99, 0.76])


def test_adam_bias_correction_makes_the_first_step_learning_rate_times_the_sign():
    w1, w2, config = two_steps(adam, {"learning_rate": 0.1, "epsilon": 0.0})
    # t = 1: m_hat = dw1 and v_hat = dw1^2, so the step is 0.1 * sign(dw1)
    assert np.allclose(w1, [0.9, 1.1])
    # t = 2: m = [0.39, 0.02], v = [0.009999, 0.007996]; corrected by 1 - 0.9^2 = 0.19
    # and 1 - 0.999^2 = 0.001999
    m_hat, v_hat = np.array([0.39, 0.02]) / 0.19, np.array([0.009999, 0.007996]) / 0.001999
    assert np.allclose(w2, w1 - 0.1 * m_hat / np.sqrt(v_hat))
    assert config["t"] == 2
    assert np.allclose(config["m"], [0.39, 0.02]) and np.allclose(config["v"], [0.009999, 0.007996])


@pytest.mark.parametrize("rule, defaults", [
    (sgd, {"learning_rate": 1e-2}),
    (sgd_momentum, {"learning_rate": 1e-2, "momentum": 0.9}),
    (rmsprop, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}),
    (adam, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 1}),
])
def test_defaults_are_cs231n_s_and_given_values_are_kept(rule, defaults):
    w = W0.copy()
    _, config = rule(w, DW1)
    assert {k: config[k] for k in defaults} == defaults
    assert np.array_equal(w, W0), "w must not be modified"
    given = {"learning_rate": 0.5}
    _, config = rule(w, DW1, given)
    assert config is given and config["learning_rate"] == 0.5


def test_all_lists_the_four_rules():
    assert optim.__all__ == ["sgd", "sgd_momentum", "rmsprop", "adam"]
