"""Trusted checks of the graded cells of BatchNormalization.ipynb.

One function per test cell: it registers the calls of the cell's checks in the
Request and returns the checks, one per check of the cell (visible ones first,
then hidden ones), with the cell's wording and property, on inputs drawn from
the cell's random generator. Tolerances are the cell's, except that gradients
are compared on the whole array (expect.py).
"""
import numpy as np

from . import network_checks
from .expect import expect_close, expect_tuple
from .layer_checks import (BATCHNORM, BATCHNORM_ALT, GRADIENTS, LAYERNORM, all_of, as_float32, batch_of_one_check,
                           float32_check, forward_check, gradient_check, moments_check, plain, running_check,
                           train_mode, warm_up_check)
from .request import View
from .scoring import Check

# The visible network check: cs231n's two hidden layers and weight scale, smaller (so that the
# driver's numeric gradients take little time), on a batch of four rather than the notebook's
# two, whose normalized values are all +-1 and whose gradients are often too curved for a step of 1e-5
NETWORK = dict(input_dim=6, num_classes=5, n=4, weight_scale=5e-2)
NETWORK_HIDDEN = [8, 7]
SHALLOW = {"W": 1e-3, "b": 1e-5, "g": 1e-5}  # rtol by the first letter of a parameter's name (b: biases and shifts)
DEEP = dict.fromkeys("Wbg", 1e-4)


def _bn_case(rng, n, d, scale=4.0):
    """((x, gamma, beta, bn_param), dout): x (n, d) with an offset per feature, train mode."""
    x = scale * rng.standard_normal((n, d)) + rng.standard_normal(d)
    return (x, rng.standard_normal(d), rng.standard_normal(d), train_mode()), rng.standard_normal((n, d))


def _ln_case(rng, n, d, scale=3.0):
    """((x, gamma, beta, ln_param), dout): x (n, d) with an offset per example."""
    x = scale * rng.standard_normal((n, d)) + rng.standard_normal((n, 1))
    return (x, rng.standard_normal(d), rng.standard_normal(d), {}), rng.standard_normal((n, d))


def _weights(rng):
    return rng.standard_normal((50, 60)), rng.standard_normal((60, 3))


def _activations(rng, n, weights):
    """relu(X W1) W2, (n, 3), for standard normal rows X: features of arbitrary means and scales, as in the notebook."""
    w1, w2 = weights
    return np.maximum(0, rng.standard_normal((n, w1.shape[0])) @ w1) @ w2


def test_forward_train(req, rng):
    a = _activations(rng, 200, _weights(rng))
    gamma, beta = rng.uniform(0.5, 3, 3), rng.uniform(-15, 15, 3)
    return [
        Check("means are beta and stds are gamma for gamma = 1, beta = 0",
              moments_check(req, BATCHNORM, (a, np.ones(3), np.zeros(3), train_mode()), axes=0)),
        Check("means are beta and stds are gamma for other gamma and beta",
              moments_check(req, BATCHNORM, (a, gamma, beta, train_mode()), axes=0)),
        Check("square input (N == D): statistics taken over the batch axis",
              forward_check(req, BATCHNORM, _bn_case(rng, 6, 6)[0], 1e-7)),
        Check("features with a small variance (eps inside the square root)",
              forward_check(req, BATCHNORM, _bn_case(rng, 10, 4, scale=1e-3)[0], 1e-6)),
        Check("a constant feature comes out as beta, with no NaN", _constant_feature(req, rng)),
        Check("float32 input: float32 output, values as in float64",
              forward_check(req, BATCHNORM, as_float32(_bn_case(rng, 16, 5, scale=5.0)[0]), 1e-4, dtype=np.float32)),
        Check("non-contiguous input (a strided view) and the caller's x left unchanged",
              forward_check(req, BATCHNORM, (View(2 * rng.standard_normal((12, 10)) + 1, step=(1, 2)),
                                             rng.standard_normal(5), rng.standard_normal(5), train_mode()),
                            1e-7, watch=(0,))),
    ]


def _constant_feature(req, rng):
    (x, gamma, beta, param), _ = _bn_case(rng, 8, 3)
    x[:, 1] = 4.0
    output = forward_check(req, BATCHNORM, (x, gamma, beta, param), 1e-7)
    return lambda: expect_close(output()[:, 1], np.full(8, beta[1]), 1e-12, "the constant feature")


def test_running_averages(req, rng):
    weights = _weights(rng)
    batches = [_activations(rng, 200, weights) for _ in range(50)]
    return [
        Check("after 50 warm-up batches, test-time means are near 0 and stds near 1",
              warm_up_check(req, BATCHNORM, batches, _activations(rng, 5000, weights), axes=0)),
        Check("first step from the default zeros: running = 0.1 * batch statistic, written to bn_param",
              running_check(req, BATCHNORM, [2 * rng.standard_normal((9, 4)) + 3], train_mode())),
        Check("momentum from bn_param, over three batches, starting from given running averages",
              running_check(req, BATCHNORM, [3 * rng.standard_normal((7, 4)) - 1 for _ in range(3)],
                            train_mode(momentum=0.5, running_mean=rng.standard_normal(4),
                                       running_var=rng.random(4) + 0.5))),
        Check("square input (N == D): running averages are per feature",
              running_check(req, BATCHNORM, [rng.standard_normal((5, 5)) + np.arange(5)], train_mode(momentum=0.8))),
    ]


def _test_param(rng, d):
    return {"mode": "test", "running_mean": rng.standard_normal(d), "running_var": rng.random(d) + 0.1}


def test_test_mode(req, rng):
    def case(n, d):
        return rng.standard_normal((n, d)) * 3 + 1, rng.standard_normal(d), rng.standard_normal(d), _test_param(rng, d)
    small = (1e-3 * rng.standard_normal((4, 3)), np.ones(3), np.zeros(3),
             {"mode": "test", "running_mean": np.zeros(3), "running_var": np.full(3, 1e-6)})
    return [
        Check("test mode normalizes with the running averages", forward_check(req, BATCHNORM, case(6, 4), 1e-12)),
        Check("one example gives the same output alone as inside a batch",
              batch_of_one_check(req, BATCHNORM, case(5, 3), index=2)),
        Check("running averages are left unchanged in test mode",
              forward_check(req, BATCHNORM, case(6, 4), 1e-12, watch=(3,))),
        Check("small running variance (eps inside the square root)", forward_check(req, BATCHNORM, small, 1e-10)),
    ]


def test_backward(req, rng):
    constant, constant_dout = _bn_case(rng, 7, 3)
    constant[0][:, 0] = 2.5
    (x, gamma, beta, param), _ = _bn_case(rng, 10, 8)
    return [
        Check("gradient check N, D = 4, 5: dx, dgamma, dbeta match the numeric gradients",
              gradient_check(req, BATCHNORM, *_bn_case(rng, 4, 5), 1e-8)),
        *_shape_checks(req, rng, BATCHNORM, _bn_case, square=6, others=((3, 11), (16, 2)), small=(8, 3),
                       small_rtol=1e-5),
        Check("a constant feature: finite gradients that match the numeric ones",
              gradient_check(req, BATCHNORM, constant, constant_dout, 1e-5)),
        Check("non-contiguous x and dout",
              gradient_check(req, BATCHNORM, (View(x, fortran=True), gamma, beta, param),
                             View(rng.standard_normal((8, 10)), transpose=(1, 0)), 1e-6)),
        Check("float32 input gives float32 gradients close to the float64 ones",
              float32_check(req, BATCHNORM, *_bn_case(rng, 12, 5))),
        Check("dout and the cache are not modified",
              gradient_check(req, BATCHNORM, *_bn_case(rng, 5, 4), 1e-6, unchanged=True)),
    ]


def _shape_checks(req, rng, layer, case, *, square, others, small, small_rtol, unchanged=False):
    """
    Gradient checks of a backward pass on a square input, on two other shapes and on
    inputs with a small variance, which the hidden checks of each backward cell make.

    Inputs:
    - case: _bn_case or _ln_case
    - square: N = D of the square input
    - others: The (N, D) of the two other shapes
    - small: The (N, D) of the input with a small variance, checked with rtol small_rtol
    - unchanged: Also check that dout and the cache are left unchanged
    """
    (n1, d1), (n2, d2) = others
    return [
        Check("square input (N == D)",
              gradient_check(req, layer, *case(rng, square, square), 1e-6, unchanged=unchanged)),
        Check(f"other shapes ({n1} x {d1} and {n2} x {d2})",
              all_of(*(gradient_check(req, layer, *case(rng, n, d), 1e-6, unchanged=unchanged) for n, d in others))),
        Check("inputs with a small variance (eps inside the square root)",
              gradient_check(req, layer, *case(rng, *small, scale=1e-3), small_rtol, unchanged=unchanged)),
    ]


def test_backward_alt(req, rng):
    (x, gamma, beta, param), _ = _bn_case(rng, 9, 6)
    return [
        Check("the two backward passes agree on a 100 x 500 batch (differences below 1e-10)",
              _agreement(req, *_bn_case(rng, 100, 500, scale=5.0))),
        *_shape_checks(req, rng, BATCHNORM_ALT, _bn_case, square=7, others=((3, 9), (20, 3)), small=(6, 4),
                       small_rtol=1e-5),
        Check("non-contiguous dout; dout and the cache are not modified",
              gradient_check(req, BATCHNORM_ALT, (x, gamma, beta, param),
                             View(rng.standard_normal((6, 9)), transpose=(1, 0)), 1e-6, unchanged=True)),
    ]


def _agreement(req, args, dout):
    """batchnorm_backward_alt gives what batchnorm_backward gives from the same cache (and both are right)."""
    forward = req.call(BATCHNORM.forward, *args, send=False)
    staged, alt = (req.call(name, dout, forward.returned(1)) for name in (BATCHNORM.backward, BATCHNORM_ALT.backward))
    expected = BATCHNORM.reference_backward(dout, *map(plain, args))

    def verify():
        pairs = zip(expect_tuple(staged.value, 3, BATCHNORM.backward),
                    expect_tuple(alt.value, 3, BATCHNORM_ALT.backward))
        for name, (mine, fast), right in zip(GRADIENTS, pairs, expected):
            expect_close(fast, mine, 1e-10, f"{name} of batchnorm_backward_alt against batchnorm_backward's")
            expect_close(fast, right, 1e-8, name)
    return verify


def _network_check(req, rng, normalization):
    """The visible network check: losses and gradient checks for reg = 0 and reg = 3.14."""
    return all_of(*(network_checks.gradient_check(req, rng, normalization, NETWORK_HIDDEN, reg=reg,
                                                  tolerances=SHALLOW, **NETWORK) for reg in (0.0, 3.14)))


def test_fc_net_batchnorm(req, rng):
    return [
        Check("network gradient check: initial losses (reg = 0 and 3.14) and gradients as expected",
              _network_check(req, rng, "batchnorm")),
        Check("scales start at ones and shifts at zeros, one pair per hidden layer",
              network_checks.initialization_check(req, [7, 6, 5], input_dim=4, num_classes=3,
                                                  normalization="batchnorm")),
        Check("each layer keeps its own running statistics; test mode leaves them unchanged",
              network_checks.running_statistics_check(req, rng, [6, 4], input_dim=5, num_classes=3, n=8,
                                                      weight_scale=0.5)),
        Check("a deeper network on a larger batch passes the gradient check",
              network_checks.gradient_check(req, rng, "batchnorm", [6, 5, 4], input_dim=3, num_classes=4, n=6,
                                            weight_scale=0.3, reg=0.5, tolerances=DEEP)),
    ]


def test_layernorm_forward(req, rng):
    a = _activations(rng, 4, _weights(rng))
    scale, shift = rng.uniform(0.5, 4), rng.uniform(-6, 6)
    return [
        Check("each example's mean is beta and std is gamma for gamma = 1, beta = 0",
              moments_check(req, LAYERNORM, (a, np.ones(3), np.zeros(3), {}), axes=1)),
        Check("each example's mean is beta and std is gamma for another constant gamma and beta",
              moments_check(req, LAYERNORM, (a, np.full(3, scale), np.full(3, shift), {}), axes=1)),
        Check("square input (N == D): statistics over each example's features",
              forward_check(req, LAYERNORM, _ln_case(rng, 5, 5)[0], 1e-7)),
        Check("no running statistics, same output in any mode, ln_param unchanged", _mode_independence(req, rng)),
        Check("one example alone gives the same output as inside a batch",
              batch_of_one_check(req, LAYERNORM, _ln_case(rng, 5, 7)[0], index=3)),
        Check("a constant example comes out as beta; float32 stays float32; x unchanged", _constant_example(req, rng)),
    ]


def _mode_independence(req, rng):
    x, gamma, beta, _ = _ln_case(rng, 6, 4)[0]
    outputs = [forward_check(req, LAYERNORM, (x, gamma, beta, param), 1e-7, watch=(3,))
               for param in ({}, {"mode": "train"}, {"mode": "test"})]

    def verify():
        first, *others = [output() for output in outputs]
        for out in others:
            expect_close(out, first, 1e-12, "out in another mode")
    return verify


def _constant_example(req, rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    x[2] = 1.5
    beta = rng.standard_normal(6).astype(np.float32)
    output = forward_check(req, LAYERNORM, (x, np.ones(6, np.float32), beta, {"eps": 1e-5}), 1e-4,
                           dtype=np.float32, watch=(0,))
    return lambda: expect_close(output()[2], beta, 1e-6, "the constant example")


def test_layernorm_backward(req, rng):
    return [
        Check("gradient check N, D = 4, 5: dx, dgamma, dbeta match the numeric gradients",
              gradient_check(req, LAYERNORM, *_ln_case(rng, 4, 5, scale=5.0), 1e-8)),
        *_shape_checks(req, rng, LAYERNORM, _ln_case, square=6, others=((3, 8), (9, 3)), small=(4, 5),
                       small_rtol=1e-4, unchanged=True),
    ]


def test_fc_net_layernorm(req, rng):
    return [
        Check("network gradient check with layer norm: initial losses (reg = 0 and 3.14) and gradients as expected",
              _network_check(req, rng, "layernorm")),
        Check("a deeper layer-norm network on a larger batch passes the gradient check",
              network_checks.gradient_check(req, rng, "layernorm", [5, 6, 4], input_dim=3, num_classes=4, n=5,
                                            weight_scale=0.3, reg=0.5, tolerances=DEEP)),
        Check("scores in test mode do not depend on the other examples",
              network_checks.independence_check(req, rng, "layernorm", [6], input_dim=4, num_classes=3, n=5,
                                                index=1)),
    ]


CELLS = {cell.__name__: cell for cell in (
    test_forward_train, test_running_averages, test_test_mode, test_backward, test_backward_alt,
    test_fc_net_batchnorm, test_layernorm_forward, test_layernorm_backward, test_fc_net_layernorm)}
