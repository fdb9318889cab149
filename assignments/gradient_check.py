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
    return numeric_partials(f_many, x, list(np.ndindex(x.shape)), df, h).reshape(x.shape)


def numeric_partials(f_many, x, entries, df=None, h=1e-5):
    """
    The entries of numeric_gradient at some indices of x only: two evaluations per entry instead of per
    element of x, as cs231n's grad_check_sparse samples a large weight matrix.

    Inputs:
    - f_many, x, df, h: As for numeric_gradient
    - entries: List of K index tuples of x (random_entries draws some)

    Returns:
    - partials: Array of shape (K,), partials[k] = grad[entries[k]]
    """
    points = []
    for ix in entries:
        for step in (h, -h):
            point = x.copy()
            point[ix] = x[ix] + step
            points.append(point)
    values = f_many(points)
    if len(values) != len(points):
        raise ValueError(f"{len(values)} values for {len(points)} points")
    partials = np.zeros(len(entries), dtype=np.result_type(x.dtype, np.float64))
    for k in range(len(entries)):
        difference = np.asarray(values[2 * k], dtype=np.float64) - np.asarray(values[2 * k + 1], dtype=np.float64)
        partials[k] = (difference if df is None else np.sum(difference * df)) / (2 * h)
    return partials


def random_entries(shape, count=None, seed=0):
    """
    Indices of `count` distinct entries of an array of `shape`, drawn with their own seed (numpy's global
    random state is not touched), in row-major order; every entry when count is None or covers them all.

    Returns a list of index tuples, for numeric_partials; [array[ix] for ix in entries] are the
    array's entries there.
    """
    every = list(np.ndindex(*shape))
    if count is None or count >= len(every):
        return every
    return [every[k] for k in sorted(np.random.default_rng(seed).choice(len(every), size=count, replace=False))]
