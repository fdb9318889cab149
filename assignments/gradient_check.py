"""Numeric gradients by centered differences, the oracle for every backward pass.

Both functions perturb the input array in place, one element at a time, and
restore it before returning, so the caller's array is unchanged afterwards.
"""
import numpy as np


def _centered_evaluations(f, x, h):
    """
    Yield (index, f(x + h e_i), f(x - h e_i)) for every index i of x.

    Each value is copied (f may return the same buffer twice) and x[i] is
    restored before the next index.
    """
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        pos = np.array(f(x), copy=True)
        x[ix] = old_value - h
        neg = np.array(f(x), copy=True)
        x[ix] = old_value
        yield ix, pos, neg
        it.iternext()


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """
    Numeric gradient of a scalar function at x.

    Inputs:
    - f: Function taking one argument (an array shaped like x) and returning a scalar
    - x: Array of any shape, the point at which to evaluate the gradient
    - verbose: If True, print each index and its partial derivative
    - h: Step of the centered difference

    Returns:
    - grad: Array shaped like x with grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h
    """
    grad = np.zeros_like(x)
    for ix, pos, neg in _centered_evaluations(f, x, h):
        grad[ix] = (pos - neg) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Numeric gradient of an array-valued function, contracted with an upstream gradient.

    Inputs:
    - f: Function taking one argument (an array shaped like x) and returning an array
    - x: Array of any shape, the point at which to evaluate the gradient
    - df: Upstream gradient dL/df, shaped like f(x)
    - h: Step of the centered difference

    Returns:
    - grad: Array shaped like x, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / 2h
    """
    grad = np.zeros_like(x)
    for ix, pos, neg in _centered_evaluations(f, x, h):
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def numeric_gradient(f_many, x, df=None, h=1e-5):
    """
    Numeric gradient by centered differences, with every evaluation asked for at once.

    Graded checks use this form: one observe() then runs all the evaluations
    next to the student's code, while the differences are taken where the checks run.

    Inputs:
    - f_many: Function taking a list of arrays shaped like x and returning the
      list of f at each of them (scalars, or arrays shaped like df)
    - x: Array of any shape, the point at which to evaluate the gradient (not modified)
    - df: Upstream gradient dL/df, shaped like f(x); None when f returns scalars
    - h: Step of the centered difference

    Returns:
    - grad: Array shaped like x, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / 2h
      (without df: (f(x + h e_i) - f(x - h e_i)) / 2h)
    """
    indices = list(np.ndindex(x.shape))
    points = []
    for ix in indices:
        for step in (h, -h):
            point = x.copy()
            point[ix] = x[ix] + step
            points.append(point)
    values = f_many(points)
    if len(values) != len(points):
        raise ValueError(f"{len(values)} values for {len(points)} points")
    grad = np.zeros_like(x)
    for k, ix in enumerate(indices):
        difference = np.asarray(values[2 * k], dtype=np.float64) - np.asarray(values[2 * k + 1], dtype=np.float64)
        grad[ix] = (difference if df is None else np.sum(difference * df)) / (2 * h)
    return grad
