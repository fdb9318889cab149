"""Partial credit for nbgrader test cells, and the assertions those cells use.

nbgrader reads a test cell's points from its last expression when that is a
number, and gives 0 when the cell raises. A ``Rubric`` turns a list of named
checks into that number:

    rubric = Rubric(points=4)
    with rubric.check("normalizes each feature of an N == D input"):
        expect_close(out, expected, tol=1e-7, what="out")
    rubric.score()        # the cell's last line

The points earned are ``points * (weight of passed checks) / (weight of the
checks that ran)``: a cell whose hidden checks were removed (the student
release) is scored on its visible checks alone, and the autograder, which runs
them all, gives partial credit. A failed check is reported in one line (its
exception type and message) and never as a traceback, so hidden tests do not
show their code. Warnings raised inside a check are recorded, not printed:
nbgrader would otherwise treat them as stderr output and zero the cell.
"""
import contextlib
import copy
import warnings

import numpy as np

from .observing import hidden_seed, observe  # noqa: F401 (test cells import them from here with the Rubric)


class Rubric:
    """Named, weighted checks of one graded cell and the points they earn."""

    def __init__(self, points):
        """
        Inputs:
        - points: The cell's points (nbgrader metadata); the most score() returns
        """
        self.points = float(points)
        self.results = []  # (description, weight, passed)

    @contextlib.contextmanager
    def check(self, description, weight=1):
        """
        Run the with-block as one check: it passes when the block raises nothing.

        Inputs:
        - description: What the check verifies, printed with its outcome
        - weight: Its share of the cell's points relative to the other checks
        """
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                yield
        except Exception as error:  # a failing student function can raise anything
            self.results.append((description, weight, False))
            print(f"FAIL  {description}\n      {type(error).__name__}: {error}")
        else:
            self.results.append((description, weight, True))
            print(f"ok    {description}")

    def score(self):
        """
        Points earned by the checks that ran, as a float nbgrader reads.

        Raises AssertionError when no check passed (nbgrader then gives 0 and
        `nbgrader validate` shows the cell as failing).
        """
        total = sum(weight for _, weight, _ in self.results)
        passed = sum(weight for _, weight, ok in self.results if ok)
        if total == 0 or passed == 0:
            raise AssertionError(f"no check passed ({len(self.results)} run)")
        earned = round(self.points * passed / total, 2)
        print(f"score: {earned:g} / {self.points:g}")
        return earned


def hidden_rng(k):
    """
    The random generator of a hidden check's inputs: np.random.default_rng(hidden_seed(k)),
    that is default_rng(k) in the kernel and a generator seeded from the course's secret outside it.
    """
    return np.random.default_rng(hidden_seed(k))


def expect_close(actual, expected, tol, what):
    """
    Assert two arrays have the same shape and a relative error below tol.

    Inputs:
    - actual: The student's array (anything np.asarray accepts)
    - expected: The reference array
    - tol: Largest accepted max |a - e| / max(1e-8, 1e-3 max|e|, |a| + |e|)
    - what: Name used in the failure message, e.g. 'dx'
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what} has shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what} contains NaN or inf")
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    # entries far below the array's largest are compared at 1e-3 of that size: their own relative
    # error would be rounding noise (numeric gradients of entries near 0, whatever the inputs drawn)
    floor = 1e-3 * float(np.max(np.abs(e), initial=0.0))
    error = float(np.max(np.abs(a - e) / np.maximum(max(1e-8, floor), np.abs(a) + np.abs(e)), initial=0.0))
    if error > tol:
        raise AssertionError(f"{what}: relative error {error:.1e}, must be below {tol:.0e}")


def snapshot(value):
    """A deep copy of value (arrays, tuples, lists, dicts) to compare against later."""
    return copy.deepcopy(value)


def expect_unchanged(before, after, what):
    """
    Assert that after equals the snapshot before, element for element.

    Inputs:
    - before: A snapshot() taken before the call under test
    - after: The same object after the call
    - what: Name used in the failure message, e.g. 'the cache'
    """
    if not _equal(before, after):
        raise AssertionError(f"{what} was modified in place")


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b
