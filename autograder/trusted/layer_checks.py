"""Check builders shared by the cells that test a normalization layer (both notebooks).

Each builder registers its calls in a Request and returns a verify function for
a scoring.Check. Every value of the student's is compared with what the
reference (reference.py) computes in this process; a property that a function
doing nothing would have (an argument left unchanged, one example alone giving
what it gives in a batch) is checked together with the values, so that it
earns nothing on its own.
"""
import copy
import dataclasses
from typing import Callable

import numpy as np

from assignments.grading import expect_unchanged

from . import reference
from .expect import expect_close, expect_dtype, expect_shape, expect_tuple
from .numeric import centered_gradient, perturbations
from .request import Extended, View

GRADIENTS = ("dx", "dgamma", "dbeta")  # what a backward pass returns; the forward's arguments 0, 1, 2
FORWARD_RTOL = 1e-8  # the forward output behind a gradient check: float64 against float64
GRADIENT_ATOL = 1e-10  # rounding noise of a centered difference, for gradients that are all near zero


@dataclasses.dataclass(frozen=True)
class Layer:
    """
    A normalization layer students write, and its reference.

    - forward, backward: Names of the student's functions
    - reference, reference_backward: The reference.py functions with the same arguments
    - arguments: Names of the forward's arguments, for messages
    """
    forward: str
    backward: str
    reference: Callable
    reference_backward: Callable
    arguments: tuple = ("x", "gamma", "beta", "bn_param")


BATCHNORM = Layer("batchnorm_forward", "batchnorm_backward", reference.batchnorm_forward,
                  reference.batchnorm_backward)
BATCHNORM_ALT = dataclasses.replace(BATCHNORM, backward="batchnorm_backward_alt")
LAYERNORM = Layer("layernorm_forward", "layernorm_backward", reference.layernorm_forward,
                  reference.layernorm_backward, ("x", "gamma", "beta", "ln_param"))
SPATIAL = Layer("spatial_batchnorm_forward", "spatial_batchnorm_backward", reference.spatial_batchnorm_forward,
                reference.spatial_batchnorm_backward)
GROUPNORM = Layer("spatial_groupnorm_forward", "spatial_groupnorm_backward", reference.spatial_groupnorm_forward,
                  reference.spatial_groupnorm_backward, ("x", "gamma", "beta", "G", "gn_param"))


def train_mode(**entries):
    """A fresh train-mode bn_param with the given entries."""
    return {"mode": "train", **entries}


def as_float32(args):
    """The arguments with every array cast to float32."""
    return tuple(arg.astype(np.float32) if isinstance(arg, np.ndarray) else arg for arg in args)


def plain(arg):
    """What an argument is in this process: a View's array, a fresh copy of anything else."""
    return arg.value if isinstance(arg, View) else copy.deepcopy(arg)


def original(arg):
    """What a watched argument must still be after the call (a View's whole base array)."""
    return arg.base if isinstance(arg, View) else copy.deepcopy(arg)


def all_of(*verifies):
    """One verify that runs several: the check passes when all of them do."""
    def verify():
        for each in verifies:
            each()
    return verify


def forward_check(req, layer, args, rtol, *, dtype=None, watch=()):
    """
    The student's forward output on args against the reference's.

    Inputs:
    - req: The Request
    - layer: The Layer
    - args: The forward's arguments (arrays, Views, dicts, numbers)
    - rtol: Tolerance of expect_close
    - dtype: If given, the dtype the output must have
    - watch: Positions of arguments the call must leave unchanged

    Returns a verify that returns the student's output, for checks that look further.
    """
    call = req.call(layer.forward, *args, watch=watch)
    expected = layer.reference(*map(plain, args))
    before = {i: original(args[i]) for i in watch}

    def verify():
        out = expect_tuple(call.value, 2, layer.forward)[0]
        if dtype is not None:
            expect_dtype(out, dtype, "out")
        expect_close(out, expected, rtol, "out")
        for i, value in before.items():
            expect_unchanged(value, call.after(i), layer.arguments[i])
        return out
    return verify


def moments_check(req, layer, args, axes, shape=None):
    """
    The means and standard deviations of the student's output, over axes (of the
    output reshaped to shape, if given), against those of the reference's output:
    means within 1e-7, stds within a relative 1e-6, as the visible checks print them.
    """
    call = req.call(layer.forward, *args, send=True)
    expected = layer.reference(*map(plain, args))

    def moments(out):
        out = out.astype(np.float64).reshape(shape or out.shape)
        return out.mean(axis=axes), out.std(axis=axes)

    def verify():
        out = expect_shape(expect_tuple(call.value, 2, layer.forward)[0], expected.shape, "out")
        (means, stds), (expected_means, expected_stds) = moments(out), moments(expected)
        expect_close(means, expected_means, 0, "the means", atol=1e-7)
        expect_close(stds, expected_stds, 1e-6, "the standard deviations")
    return verify


def batch_of_one_check(req, layer, args, index):
    """Example `index` of x alone gives the output it gets inside the batch (and that output is right)."""
    whole = forward_check(req, layer, args, 1e-10)
    x = plain(args[0])
    alone = req.call(layer.forward, x[index:index + 1], *args[1:])

    def verify():
        expect_close(expect_tuple(alone.value, 2, layer.forward)[0], whole()[index:index + 1], 1e-12,
                     "the output for a batch of one")
    return verify


def gradient_check(req, layer, args, dout, rtol, *, names=GRADIENTS, unchanged=False):
    """
    The student's backward pass against numeric gradients of the student's forward pass.

    The driver evaluates the forward at every perturbed input in one call and the
    centered differences are taken here. The forward output must match the
    reference, and so must the numeric gradients: a forward and a backward that
    are wrong together do not pass.

    Inputs:
    - req, layer: The Request and the Layer
    - args: The forward's arguments (train mode for batch norm)
    - dout: The upstream gradient (an array or a View)
    - rtol: Tolerance of expect_close for each gradient
    - names: The gradients to check, among dx, dgamma and dbeta
    - unchanged: Also check that the backward pass leaves dout and the cache unchanged
    """
    forward = req.call(layer.forward, *args)
    backward = req.call(layer.backward, dout, forward.returned(1), watch=(0, 1) if unchanged else ())
    values = [plain(arg) for arg in args]
    upstream = plain(dout)
    expected_out = layer.reference(*map(plain, args))
    expected = dict(zip(GRADIENTS, layer.reference_backward(upstream, *map(plain, args))))
    stacks = {name: req.map(layer.forward, *args, over=GRADIENTS.index(name),
                            stack=perturbations(values[GRADIENTS.index(name)]))
              for name in names}

    def verify():
        expect_close(expect_tuple(forward.value, 2, layer.forward)[0], expected_out, FORWARD_RTOL,
                     f"the output of {layer.forward}")
        grads = dict(zip(GRADIENTS, expect_tuple(backward.value, 3, layer.backward)))
        for name, stack in stacks.items():
            numeric = centered_gradient(stack.value, upstream, np.shape(values[GRADIENTS.index(name)]))
            expect_close(grads[name], numeric, rtol, name, atol=GRADIENT_ATOL)
            expect_close(numeric, expected[name], rtol, f"the numeric {name} of {layer.forward}", atol=GRADIENT_ATOL)
        if unchanged:
            expect_unchanged(original(dout), backward.after(0), "dout")
            expect_unchanged(forward.value[1], backward.after(1), "the cache")
    return verify


def float32_check(req, layer, args, dout, rtol=1e-3):
    """float32 inputs give float32 gradients close to the float64 gradients of the same values."""
    forward = req.call(layer.forward, *as_float32(args), send=False)
    backward = req.call(layer.backward, dout.astype(np.float32), forward.returned(1))
    expected = layer.reference_backward(dout, *map(plain, args))

    def verify():
        for name, mine, reference_value in zip(GRADIENTS, expect_tuple(backward.value, 3, layer.backward),
                                               expected):
            expect_dtype(mine, np.float32, name)
            expect_close(mine, reference_value, rtol, name)
    return verify


def running_check(req, layer, batches, param):
    """
    bn_param after train-mode calls on the batches in turn (the same dict passed
    along, as a notebook does) against the reference's running averages.
    """
    gamma, beta = np.ones(batches[0].shape[1]), np.zeros(batches[0].shape[1])
    expected = copy.deepcopy(param)
    previous = None
    for x in batches:
        layer.reference(x, gamma, beta, expected)
        previous = req.call(layer.forward, x, gamma, beta, param if previous is None else previous.arg(3),
                            send=False, watch=(3,))

    def verify():
        state = previous.after(3)
        for key in ("running_mean", "running_var"):
            if not isinstance(state, dict) or key not in state:
                raise AssertionError(f"{key} missing from bn_param")
            expect_close(state[key], expected[key], 1e-10, key)
    return verify


def warm_up_check(req, layer, batches, test_batch, axes):
    """
    After train-mode calls on the batches (one bn_param passed along), a test-mode
    call on test_batch gives means within 0.15 of 0 and stds within 0.1 of 1 over
    axes. The batches are large enough that a correct layer is far inside these
    bounds whatever the seed.
    """
    gamma, beta = np.ones(batches[0].shape[1]), np.zeros(batches[0].shape[1])
    previous = None
    for x in batches:
        previous = req.call(layer.forward, x, gamma, beta, {"mode": "train"} if previous is None else previous.arg(3),
                            send=False)
    test = req.call(layer.forward, test_batch, gamma, beta, Extended(previous.arg(3), {"mode": "test"}))

    def verify():
        out = expect_shape(expect_tuple(test.value, 2, layer.forward)[0], test_batch.shape, "out")
        means, stds = out.mean(axis=axes), out.std(axis=axes)
        if not np.all(np.abs(means) < 0.15):
            raise AssertionError(f"test-time means {np.round(means, 3)} are not near 0")
        if not np.all(np.abs(stds - 1) < 0.1):
            raise AssertionError(f"test-time stds {np.round(stds, 3)} are not near 1")
    return verify
