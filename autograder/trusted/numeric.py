"""Numeric gradients taken in the trusted process from function values the driver sent.

The harness makes the perturbed inputs, the driver evaluates the student's
function at all of them in one call, and the differences are taken here.
"""
import numpy as np

STEP = 1e-5  # h of the centered differences, as in assignments.gradient_check


def sample_entries(rng, shapes, count):
    """
    The entries of each parameter a numeric gradient check moves, drawn as cs231n's
    grad_check_sparse does: a numeric gradient costs two losses per entry, and a
    bug in a backward pass shows in every entry it touches, not in a few.

    Inputs:
    - rng: numpy Generator
    - shapes: {name: shape} of the parameters
    - count: Entries per parameter (every entry of a parameter with no more than that)

    Returns {name: sorted list of distinct flat (C-order) indices, as ints}.
    """
    entries = {}
    for name in sorted(shapes):
        size = int(np.prod(shapes[name]))
        chosen = np.arange(size) if size <= count else np.sort(rng.choice(size, count, replace=False))
        entries[name] = [int(i) for i in chosen]
    return entries


def perturbations(x, h=STEP):
    """
    Every input of a centered difference at x.

    Returns an array of shape (2 * x.size, *x.shape): x + h e_i, then x - h e_i,
    for each index i of x in C order.
    """
    x = np.asarray(x, dtype=np.float64)
    steps = h * np.eye(x.size).reshape(x.size, *x.shape)
    return np.stack([x + steps, x - steps], axis=1).reshape(2 * x.size, *x.shape)


def centered_gradient(outputs, dout, shape, h=STEP):
    """
    The numeric gradient from f evaluated at perturbations(x, h).

    Inputs:
    - outputs: Array of shape (2 * size, *dout.shape), f at each perturbation
    - dout: Upstream gradient, shaped like f(x)
    - shape: The shape of x
    - h: The step the perturbations used

    Returns grad of the given shape, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / 2h.
    """
    size = int(np.prod(shape))
    if outputs.shape != (2 * size, *np.shape(dout)):
        raise AssertionError(f"the outputs at the perturbed inputs have shape {outputs.shape}, "
                             f"expected {(2 * size, *np.shape(dout))}")
    pairs = outputs.astype(np.float64).reshape(size, 2, -1)
    return ((pairs[:, 0] - pairs[:, 1]) @ np.ravel(dout) / (2 * h)).reshape(shape)
