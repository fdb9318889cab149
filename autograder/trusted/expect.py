"""Assertions of the trusted checks, on values decoded from the driver (so of any type at all).

Each raises AssertionError with a one-line reason. Closeness is measured on the
whole array: the largest difference against the largest expected magnitude, so
that an entry that happens to be near zero does not turn rounding noise into a
failure (the course's elementwise `expect_close` would, on some random inputs).
"""
import numpy as np


def as_numbers(value, what):
    """value as an array of numbers; fails for anything else (None, a string, an object the driver sent)."""
    array = np.asarray(value) if isinstance(value, (np.ndarray, np.generic, int, float)) else None
    if array is None or array.dtype.kind not in "iuf":
        raise AssertionError(f"{what} is {type(value).__name__}, not an array of numbers")
    return array


def expect_close(actual, expected, rtol, what, atol=0.0):
    """
    Assert actual has expected's shape, is finite, and max |actual - expected| <= rtol * max |expected| + atol.

    Inputs:
    - actual: The student's value
    - expected: The reference array (or number)
    - rtol: Bound relative to the largest expected magnitude
    - what: Name used in the failure message, e.g. 'dx'
    - atol: Absolute allowance, for expected values that may all be near zero

    Returns actual as an array.
    """
    expected = np.asarray(expected, dtype=np.float64)
    actual = expect_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what} contains NaN or inf")
    difference, bound = _difference(actual, expected, rtol, atol)
    if difference > bound:
        raise AssertionError(f"{what} is off by up to {difference:.1e} (at most {bound:.1e} allowed)")
    return actual


def is_close(actual, expected, rtol, atol=0.0):
    """Whether two float arrays of the same shape are close in the sense of expect_close."""
    difference, bound = _difference(actual, expected, rtol, atol)
    return difference <= bound


def _difference(actual, expected, rtol, atol):
    """(max |actual - expected|, rtol * max |expected| + atol)."""
    difference = float(np.max(np.abs(np.asarray(actual, dtype=np.float64) - expected), initial=0.0))
    return difference, rtol * float(np.max(np.abs(expected), initial=0.0)) + atol


def expect_shape(value, shape, what):
    """Assert value is an array of numbers of the given shape and return it as one."""
    array = as_numbers(value, what)
    if array.shape != tuple(shape):
        raise AssertionError(f"{what} has shape {array.shape}, expected {tuple(shape)}")
    return array


def expect_dtype(value, dtype, what):
    """Assert value is an array of the given dtype."""
    if as_numbers(value, what).dtype != dtype:
        raise AssertionError(f"{what} has dtype {np.asarray(value).dtype}, expected {np.dtype(dtype)}")


def expect_tuple(value, length, what):
    """Assert value is a tuple (or list) of `length` items and return it."""
    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise AssertionError(f"{what} returned {_describe(value)}, expected a tuple of {length}")
    return value


def entry(mapping, key, what):
    """mapping[key], failing clearly when mapping is not a dict or lacks the key."""
    if not isinstance(mapping, dict):
        raise AssertionError(f"{what} is {type(mapping).__name__}, not a dict")
    if key not in mapping:
        raise AssertionError(f"{what} has no {key!r}")
    return mapping[key]


def _describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__
