"""Numeric gradients by centered differences, the oracle for every backward pass.

Every function here takes each partial derivative as (f(x + h e_i) - f(x - h e_i)) / 2h.
A fixed step fails where f bends within h of x: a ReLU input within h of its kink, or
a layer norm of nearly equal features; the difference can then be wrong in its first digit.
Random inputs of hidden checks meet such points in about one course in 250, and a correct
solution would fail. So, for float64 inputs, a partial whose one-sided slopes
(f(x + h e_i) - f(x)) / h and (f(x) - f(x - h e_i)) / h differ by more than BENT times the
largest partial is taken again with a step 10, 100, then 1000 times smaller, until the
differences of two steps in a row agree; the larger step's is kept. Everywhere else the
result is the plain centered difference, from the same evaluations.

The in-place functions perturb the input array one element at a time and restore it
before returning, so the caller's array is unchanged afterwards (f may read x itself).
"""
import numpy as np

REFINEMENTS = 3     # smaller steps a partial may be retaken with: h/10, h/100, h/1000
BENT = 1e-6         # one-sided slopes further apart than BENT times the largest partial: f bends within the step
AGREE = 1e-9        # two differences agree within AGREE times the largest partial (plus rounding)
ROUNDING = 100 * np.finfo(np.float64).eps


def _steps(x, h):
    """The steps of a partial of x: h, then smaller ones for float64 x (float32 cannot resolve them)."""
    return [h * 10.0 ** -k for k in range(REFINEMENTS + 1 if np.asarray(x).dtype == np.float64 else 1)]


def _difference(pos, neg, center, df, h):
    """
    The centered difference of f(x + h e_i) = pos, f(x - h e_i) = neg and f(x) = center
    (each contracted with df when df is not None), as (difference, disagreement of its two
    one-sided slopes, rounding error of either).
    """
    pos, neg, center = (np.asarray(v, dtype=np.float64) for v in (pos, neg, center))
    weights = 1.0 if df is None else np.asarray(df, dtype=np.float64)
    right, left = np.sum((pos - center) * weights) / h, np.sum((center - neg) * weights) / h
    rounding = ROUNDING * np.sum(np.abs(center * weights)) / h
    return np.sum((pos - neg) * weights) / (2 * h), abs(right - left), rounding


def _refined_partials(differences, count, steps):
    """
    The partials of entries 0..count-1, each retaken at smaller steps where f bends (module docstring).

    Inputs:
    - differences: Function (entries, step) -> list of _difference results, one per entry
    - count: Number of entries
    - steps: The steps to try, largest first

    Returns an array of shape (count,).
    """
    first = differences(range(count), steps[0])
    partials = np.array([difference for difference, _, _ in first], dtype=np.float64)
    scale = np.max(np.abs(partials), initial=0.0)
    pending = [k for k, (_, disagreement, rounding) in enumerate(first) if disagreement > BENT * scale + rounding]
    for step in steps[1:]:
        if not pending:
            break
        moved = []
        for k, (difference, _, rounding) in zip(pending, differences(pending, step)):
            if abs(difference - partials[k]) > AGREE * scale + rounding:
                partials[k] = difference
                moved.append(k)
        pending = moved
    return partials


def _in_place_differences(f, x, df):
    """differences(entries, step) for _refined_partials, perturbing x in place one element at a time."""
    center = np.array(f(x), copy=True)
    indices = list(np.ndindex(x.shape))

    def differences(entries, step):
        result = []
        for k in entries:
            ix = indices[k]
            old_value = x[ix]
            try:
                x[ix] = old_value + step
                pos = np.array(f(x), copy=True)
                x[ix] = old_value - step
                neg = np.array(f(x), copy=True)
            finally:
                x[ix] = old_value
            result.append(_difference(pos, neg, center, df, step))
        return result

    return differences


def _in_place_gradient(f, x, df, h):
    """The partials at every index of x (an array shaped like x, of its dtype), perturbing x in place."""
    grad = _refined_partials(_in_place_differences(f, x, df), x.size, _steps(x, h))
    return grad.reshape(x.shape).astype(x.dtype, copy=False)


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """
    Numeric gradient of a scalar function at x.

    Inputs:
    - f: Function taking one argument (an array shaped like x) and returning a scalar
    - x: Array of any shape, the point at which to evaluate the gradient
    - verbose: If True, print each index and its partial derivative
    - h: Step of the centered difference (smaller where f bends, see the module docstring)

    Returns:
    - grad: Array shaped like x with grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h
    """
    grad = _in_place_gradient(f, x, None, h)
    if verbose:
        for ix in np.ndindex(x.shape):
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Numeric gradient of an array-valued function, contracted with an upstream gradient.

    Inputs:
    - f: Function taking one argument (an array shaped like x) and returning an array
    - x: Array of any shape, the point at which to evaluate the gradient
    - df: Upstream gradient dL/df, shaped like f(x)
    - h: Step of the centered difference (smaller where f bends, see the module docstring)

    Returns:
    - grad: Array shaped like x, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / 2h
    """
    return _in_place_gradient(f, x, df, h)


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
    - h: Step of the centered difference (smaller where f bends, see the module docstring)

    Returns:
    - grad: Array shaped like x, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / 2h
      (without df: (f(x + h e_i) - f(x - h e_i)) / 2h)
    """
    return numeric_partials(f_many, x, list(np.ndindex(x.shape)), df, h).reshape(x.shape)


def numeric_partials(f_many, x, entries, df=None, h=1e-5):
    """
    The entries of numeric_gradient at some indices of x only: two evaluations per entry instead of per
    element of x, as cs231n's grad_check_sparse samples a large weight matrix.

    f_many is called once with x and every perturbed point; where f bends, once more per smaller
    step, with the points of the entries that still need it.

    Inputs:
    - f_many, x, df, h: As for numeric_gradient
    - entries: List of K index tuples of x (random_entries draws some)

    Returns:
    - partials: Array of shape (K,), partials[k] = grad[entries[k]]
    """
    center = []

    def differences(ks, step):
        points = [] if center else [x.copy()]
        for k in ks:
            for signed in (step, -step):
                point = x.copy()
                point[entries[k]] = x[entries[k]] + signed
                points.append(point)
        values = list(f_many(points))
        if len(values) != len(points):
            raise ValueError(f"{len(values)} values for {len(points)} points")
        if not center:
            center.append(values.pop(0))
        return [_difference(values[2 * j], values[2 * j + 1], center[0], df, step) for j in range(len(ks))]

    partials = _refined_partials(differences, len(entries), _steps(x, h))
    return partials.astype(np.result_type(x.dtype, np.float64), copy=False)


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
