"""Trusted checks of the graded cells of SpatialBatchNorm.ipynb (same conventions as batchnorm_cells.py)."""
import numpy as np

from .layer_checks import (GROUPNORM, SPATIAL, all_of, as_float32, batch_of_one_check, float32_check, forward_check,
                           gradient_check, moments_check, running_check, train_mode, warm_up_check)
from .request import View
from .scoring import Check

CHANNELS = (0, 2, 3)  # the axes spatial batch norm takes a channel's statistics over


def _maps(rng, n, c, h, w):
    """x (n, c, h, w) with an offset and a scale per channel: a layer that mixes channels shows at once."""
    return rng.standard_normal((n, c, h, w)) * rng.uniform(0.5, 3, (1, c, 1, 1)) + rng.uniform(-5, 5, (1, c, 1, 1))


def _bn_case(rng, *shape):
    """((x, gamma, beta, bn_param), dout) for spatial batch norm in train mode; gamma and beta of shape (C,)."""
    c = shape[1]
    return (_maps(rng, *shape), rng.standard_normal(c), rng.standard_normal(c), train_mode()), \
        rng.standard_normal(shape)


def _gn_case(rng, *shape, G):
    """((x, gamma, beta, G, gn_param), dout) for group norm; gamma and beta of shape (1, C, 1, 1)."""
    c = shape[1]
    return (_maps(rng, *shape), rng.standard_normal((1, c, 1, 1)), rng.standard_normal((1, c, 1, 1)), G, {}), \
        rng.standard_normal(shape)


def test_spatial_forward_train(req, rng):
    x = 4 * rng.standard_normal((2, 3, 4, 5)) + 10
    gamma, beta = rng.uniform(1, 5, 3), rng.uniform(-8, 8, 3)
    (base, g, b, param), _ = _bn_case(rng, 3, 2, 4, 3)
    return [
        Check("channel means are beta and stds are gamma for gamma = 1, beta = 0",
              moments_check(req, SPATIAL, (x, np.ones(3), np.zeros(3), train_mode()), axes=CHANNELS)),
        Check("channel means are beta and stds are gamma for other gamma and beta",
              moments_check(req, SPATIAL, (x, gamma, beta, train_mode()), axes=CHANNELS)),
        Check("N == C and H != W (3 x 3 x 2 x 5): each channel normalized over (N, H, W)",
              forward_check(req, SPATIAL, _bn_case(rng, 3, 3, 2, 5)[0], 1e-7)),
        Check("other shapes (4 x 2 x 1 x 3 and 2 x 5 x 3 x 3)",
              all_of(forward_check(req, SPATIAL, _bn_case(rng, 4, 2, 1, 3)[0], 1e-7),
                     forward_check(req, SPATIAL, _bn_case(rng, 2, 5, 3, 3)[0], 1e-7))),
        Check("float32 input: float32 output, values as in float64",
              forward_check(req, SPATIAL, as_float32(_bn_case(rng, 3, 4, 2, 3)[0]), 1e-4, dtype=np.float32)),
        Check("non-contiguous input (a transposed view); the caller's x is not modified",
              forward_check(req, SPATIAL, (View(base, transpose=(0, 1, 3, 2)), g, b, param), 1e-7, watch=(0,))),
    ]


def _test_case(rng, *shape):
    """(x, gamma, beta, bn_param) in test mode, running statistics of shape (C,)."""
    c = shape[1]
    return (_maps(rng, *shape), rng.standard_normal(c), rng.standard_normal(c),
            {"mode": "test", "running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2, c)})


def test_spatial_test_mode(req, rng):
    # after 50 steps from zero the running mean holds 1 - 0.9 ** 50 = 99.5% of the mean: a bias of at most
    # 0.03 standard deviations for a mean at most 6 of them, as in the notebook (13 and 2.3)
    std = rng.uniform(1, 4)
    mean = std * rng.uniform(2, 6)
    batches = [std * rng.standard_normal((10, 4, 11, 12)) + mean for _ in range(51)]
    return [
        Check("after 50 warm-up batches, test-time channel means are near 0 and stds near 1",
              warm_up_check(req, SPATIAL, batches[:50], batches[50], axes=CHANNELS)),
        Check("train mode writes running_mean and running_var of shape (C,) into bn_param (N == C, H != W)",
              running_check(req, SPATIAL, [_maps(rng, 3, 3, 2, 5)], train_mode(momentum=0.7))),
        Check("test mode normalizes each channel with its running statistics and leaves them unchanged",
              forward_check(req, SPATIAL, _test_case(rng, 4, 4, 3, 2), 1e-10, watch=(3,))),
        Check("test mode: one example gives the same output alone as inside a batch",
              batch_of_one_check(req, SPATIAL, _test_case(rng, 5, 3, 2, 4), index=3)),
    ]


def test_spatial_backward(req, rng):
    (x, gamma, beta, param), _ = _bn_case(rng, 2, 3, 3, 2)
    square = _bn_case(rng, 3, 3, 2, 4)
    return [
        Check("gradient check N, C, H, W = 2, 3, 4, 5: dx, dgamma, dbeta match the numeric gradients",
              gradient_check(req, SPATIAL, *_bn_case(rng, 2, 3, 4, 5), 1e-6)),
        Check("N == C and H != W (3 x 3 x 2 x 4): dx matches the numeric gradient",
              gradient_check(req, SPATIAL, *square, 1e-6, names=("dx",))),
        Check("N == C and H != W: dgamma and dbeta have shape (C,) and match the numeric gradients",
              gradient_check(req, SPATIAL, *square, 1e-6, names=("dgamma", "dbeta"))),
        Check("other shapes (4 x 2 x 1 x 3 and 1 x 3 x 3 x 2)",
              all_of(gradient_check(req, SPATIAL, *_bn_case(rng, 4, 2, 1, 3), 1e-6),
                     gradient_check(req, SPATIAL, *_bn_case(rng, 1, 3, 3, 2), 1e-6))),
        Check("non-contiguous dout (a transposed view)",
              gradient_check(req, SPATIAL, (x, gamma, beta, param),
                             View(rng.standard_normal((2, 3, 2, 3)), transpose=(0, 1, 3, 2)), 1e-6)),
        Check("float32 input gives float32 gradients close to the float64 ones",
              float32_check(req, SPATIAL, *_bn_case(rng, 3, 2, 2, 3))),
        Check("dout and the cache are not modified",
              gradient_check(req, SPATIAL, *_bn_case(rng, 2, 3, 2, 2), 1e-6, unchanged=True)),
    ]


def _for_groups(req, rng, shape, groups):
    """Group norm of one input with each number of groups, against the reference (contiguous groups)."""
    (x, gamma, beta, _, param), _ = _gn_case(rng, *shape, G=None)
    return all_of(*(forward_check(req, GROUPNORM, (x, gamma, beta, G, param), 1e-7) for G in groups))


def test_groupnorm_forward(req, rng):
    x = 4 * rng.standard_normal((2, 6, 4, 5)) + 10
    (small, gamma, beta, G, _), _ = _gn_case(rng, 2, 4, 3, 3, G=2)
    (base, g, b, G2, param), _ = _gn_case(rng, 2, 4, 3, 2, G=2)
    return [
        Check("each group of each example has mean 0 and std 1",
              moments_check(req, GROUPNORM, (x, np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 2, {}), axes=1,
                            shape=(2 * 2, -1))),
        Check("N == C and H != W (6 x 6 x 2 x 3, G = 3), per-channel gamma and beta of shape (1, C, 1, 1)",
              forward_check(req, GROUPNORM, _gn_case(rng, 6, 6, 2, 3, G=3)[0], 1e-7)),
        Check("groups are contiguous runs of C // G channels, not strided ones (8 channels, G = 2 and 4)",
              _for_groups(req, rng, (3, 8, 3, 2), (2, 4))),
        Check("G = 1 is layer norm over (C, H, W) and G = C is instance norm over (H, W)",
              _for_groups(req, rng, (3, 4, 2, 3), (1, 4))),
        Check("eps is read from gn_param (eps = 0.1 on small-variance input)",
              forward_check(req, GROUPNORM, (0.1 * small, gamma, beta, G, {"eps": 0.1}), 1e-7)),
        Check("float32 input: float32 output, values as in float64",
              forward_check(req, GROUPNORM, as_float32(_gn_case(rng, 2, 6, 3, 2, G=3)[0]), 1e-4, dtype=np.float32)),
        Check("non-contiguous input (a transposed view); x, gamma and beta are not modified",
              forward_check(req, GROUPNORM, (View(base, transpose=(0, 1, 3, 2)), g, b, G2, param), 1e-7,
                            watch=(0, 1, 2))),
    ]


def test_groupnorm_backward(req, rng):
    (x, gamma, beta, _, param), dout = _gn_case(rng, 2, 3, 3, 2, G=None)
    (x2, g2, b2, G2, param2), _ = _gn_case(rng, 2, 4, 2, 3, G=2)
    return [
        Check("gradient check N, C, H, W = 2, 6, 4, 5 with G = 2: dx, dgamma, dbeta match the numeric gradients",
              gradient_check(req, GROUPNORM, *_gn_case(rng, 2, 6, 4, 5, G=2), 1e-6)),
        Check("N == C and H != W (4 x 4 x 3 x 2, G = 2): dx matches the numeric gradient",
              gradient_check(req, GROUPNORM, *_gn_case(rng, 4, 4, 3, 2, G=2), 1e-6, names=("dx",))),
        Check("dgamma and dbeta have shape (1, C, 1, 1) and match the numeric gradients",
              gradient_check(req, GROUPNORM, *_gn_case(rng, 3, 6, 2, 3, G=3), 1e-6, names=("dgamma", "dbeta"))),
        Check("dx for G = 1 (layer norm) and G = C (instance norm)",
              all_of(*(gradient_check(req, GROUPNORM, (x, gamma, beta, G, param), dout, 1e-6, names=("dx",))
                       for G in (1, 3)))),
        Check("non-contiguous dout (a transposed view); dout and the cache are not modified",
              gradient_check(req, GROUPNORM, (x2, g2, b2, G2, param2),
                             View(rng.standard_normal((2, 4, 3, 2)), transpose=(0, 1, 3, 2)), 1e-6, unchanged=True)),
        Check("float32 input gives float32 gradients close to the float64 ones",
              float32_check(req, GROUPNORM, *_gn_case(rng, 2, 6, 2, 2, G=3))),
    ]


CELLS = {cell.__name__: cell for cell in (
    test_spatial_forward_train, test_spatial_test_mode, test_spatial_backward, test_groupnorm_forward,
    test_groupnorm_backward)}
