"""Layers of assignments.layers: known outputs, and every backward pass against numeric gradients."""
import numpy as np
import pytest

from assignments.measures import rel_error
from assignments.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from assignments.layers import (
    affine_backward, affine_forward, affine_relu_backward, affine_relu_forward, dropout_backward,
    dropout_forward, relu_backward, relu_forward, softmax_loss)


def assert_backward_matches_numeric(forward, backward, inputs, extra=(), tol=1e-8):
    """
    Compare backward(dout, cache) with the numeric gradient of every one of `inputs`.

    forward(*inputs, *extra) returns (out, cache); backward returns the gradient of
    the one input, or a tuple of the gradients of all of them in order.
    """
    rng = np.random.default_rng(7)
    out, cache = forward(*inputs, *extra)
    dout = rng.standard_normal(out.shape)
    analytic = backward(dout, cache)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    assert len(analytic) == len(inputs)
    for x, dx in zip(inputs, analytic):
        # The numeric gradient perturbs x in place, so forward sees the perturbed input.
        numeric = eval_numerical_gradient_array(lambda _: forward(*inputs, *extra)[0], x, dout)
        assert dx.shape == x.shape
        assert rel_error(dx, numeric) < tol


def test_affine_forward_matches_cs231n_values():
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = affine_forward(x, w, b)
    expected = np.array([[1.49834967, 1.70660132, 1.91485297],
                         [3.25553199, 3.5141327, 3.77273342]])
    assert rel_error(out, expected) < 1e-8


def test_affine_backward_matches_numeric_gradients_and_keeps_the_input_shape():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((10, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    assert_backward_matches_numeric(affine_forward, affine_backward, (x, w, b))


def test_relu_forward_matches_cs231n_values():
    out, _ = relu_forward(np.linspace(-0.5, 0.5, num=12).reshape(3, 4))
    expected = np.array([[0., 0., 0., 0.],
                         [0., 0., 0.04545455, 0.13636364],
                         [0.22727273, 0.31818182, 0.40909091, 0.5]])
    assert rel_error(out, expected) < 1e-7


def test_relu_backward_matches_numeric_gradient():
    x = np.random.default_rng(1).standard_normal((10, 10))
    assert_backward_matches_numeric(relu_forward, relu_backward, (x,))


def test_affine_relu_backward_matches_numeric_gradients():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((12, 10)), rng.standard_normal(10)
    assert_backward_matches_numeric(affine_relu_forward, affine_relu_backward, (x, w, b))


@pytest.mark.parametrize("mode", ["train", "test"])
def test_dropout_backward_matches_numeric_gradient(mode):
    x = np.random.default_rng(3).standard_normal((10, 10)) + 10
    param = {"mode": mode, "p": 0.2, "seed": 123}
    assert_backward_matches_numeric(dropout_forward, dropout_backward, (x,), extra=(param,))


def test_dropout_train_keeps_a_fraction_p_scaled_by_1_over_p_and_test_is_identity():
    x = np.random.default_rng(4).standard_normal((500, 500)) + 10
    for p in (0.25, 0.6):
        out, (_, mask) = dropout_forward(x, {"mode": "train", "p": p})
        assert abs(np.mean(out != 0) - p) < 0.01
        assert abs(out.mean() - x.mean()) < 0.1  # inverted dropout keeps the expectation
        assert set(np.unique(mask)) == {0, 1 / p}
        out_test, (_, mask_test) = dropout_forward(x, {"mode": "test", "p": p})
        assert np.array_equal(out_test, x) and mask_test is None


def test_dropout_seed_makes_the_mask_reproducible_and_mask_dtype_matches_x():
    x = np.ones((20, 30), dtype=np.float32)
    first, (_, mask) = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    again, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    assert np.array_equal(first, again)
    assert mask.dtype == np.float32 and first.dtype == np.float32


def test_dropout_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="'train' or 'test'.*'eval'"):
        dropout_forward(np.ones(3), {"mode": "eval", "p": 0.5})
    with pytest.raises(ValueError, match="'train' or 'test'"):
        dropout_backward(np.ones(3), ({"mode": "eval", "p": 0.5}, None))


def test_softmax_loss_gradient_matches_numeric_and_loss_is_log_c_for_equal_scores():
    rng = np.random.default_rng(5)
    x, y = 0.001 * rng.standard_normal((50, 10)), rng.integers(10, size=50)
    loss, dx = softmax_loss(x, y)
    numeric = eval_numerical_gradient(lambda v: softmax_loss(v, y)[0], x, verbose=False)
    assert rel_error(dx, numeric) < 1e-7
    assert abs(loss - np.log(10)) < 1e-3


def test_softmax_loss_is_stable_for_huge_scores_and_averaged_over_n():
    x = np.array([[1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]])
    loss, dx = softmax_loss(x, np.array([0, 0, 1]))
    # per-example losses 0, 1000 and log 2, averaged over the 3 examples
    assert np.isfinite(dx).all() and abs(loss - (1000 + np.log(2)) / 3) < 1e-9
