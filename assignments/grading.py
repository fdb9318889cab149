"""Partial credit for nbgrader test cells, and the assertions those cells use.

nbgrader reads a test cell's points from its last expression when that is a
number, and gives 0 when the cell raises. A ``Rubric`` turns a list of named
checks into that number:

    rubric = Rubric(points=4, test="test_forward_train")
    with rubric.check("normalizes each feature of an N == D input"):
        out = observe(lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0])
        expect_close(out, expected, tol=1e-7, what="out")
    rubric.score()        # the cell's last line

The points earned are ``points * (weight of passed checks) / (weight of the
checks that ran)``: a cell whose hidden checks were removed (the student
release) is scored on its visible checks alone, and the autograder, which runs
them all, gives partial credit. A failed check is reported in one line (its
exception type and message: the figure measured and the range expected) and
never as a traceback, so hidden tests do not show their code; a cell no check
of which passed ends in one line too (failures.CheckFailed). Warnings raised
inside a check are printed once each on stderr after it, however often the
check's loops raise them (nbgrader_config.py's IgnorePattern keeps a warning on
stderr from zeroing the cell).

A test cell that runs functions another test cell checks declares it, with what
it runs (``uses``); when both fail, its output says that the earlier failure
may be the cause:

    rubric = Rubric(points=4, test="test_backward",
                    uses={"test_forward_train": "the gradient check differentiates your batchnorm_forward"})
    ...
    NOTE  the gradient check differentiates your batchnorm_forward, which failed test_forward_train: fix that first
"""
import contextlib
import copy
import sys
import warnings

import numpy as np

from .failures import CheckFailed, describe
from .measures import report
from .observing import hidden_seed, observe  # noqa: F401 (test cells import them from here with the Rubric)

NOTE = "NOTE  "  # the prefix of a line telling that an earlier failed test may cause this one's failures

_passed = {}  # test name -> whether its every check passed, for the Rubrics of this process (kernel or grader)


def _print_once(caught):
    """Print each distinct warning of `caught` (warnings.WarningMessage objects) on stderr as 'Category: message'."""
    for line in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        print(line, file=sys.stderr)


class Rubric:
    """Named, weighted checks of one graded cell and the points they earn."""

    def __init__(self, points, test=None, uses=None):
        """
        Inputs:
        - points: The cell's points (nbgrader metadata); the most score() returns
        - test: The cell's name (its grade id), which other cells' `uses` refer to
        - uses: {test name: what this cell runs that that test checks}, e.g.
          {"test_forward_train": "the gradient check differentiates your batchnorm_forward"}
        """
        self.points = float(points)
        self.test = test
        self.uses = dict(uses or {})
        self.results = []  # (description, weight, passed, reason)
        if test is not None:
            _passed[test] = False  # until score() finds every check passed: a cell that crashes has failed

    @contextlib.contextmanager
    def check(self, description, weight=1):
        """
        Run the with-block as one check: it passes when the block raises nothing.

        Inputs:
        - description: What the check verifies, printed with its outcome
        - weight: Its share of the cell's points relative to the other checks
        """
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    yield
                finally:
                    _print_once(caught)
        except Exception as error:  # a failing student function can raise anything
            # an assertion is the check's own reason; anything else, what the student's code raised
            reason = f"AssertionError: {error}" if type(error) is AssertionError else describe(error)
            self.results.append((description, weight, False, reason))
            print(f"FAIL  {description}\n      {reason}")
        else:
            self.results.append((description, weight, True, None))
            print(f"ok    {description}")

    def score(self):
        """
        Points earned by the checks that ran, as a float nbgrader reads.

        Under a failure, prints a NOTE line for each test in `uses` that failed earlier.
        Raises CheckFailed when no check passed (nbgrader then gives 0); its one
        line names the first failed check, its reason and the notes.
        """
        total = sum(weight for _, weight, _, _ in self.results)
        passed = sum(weight for _, weight, ok, _ in self.results if ok)
        notes = [f"{what}, which failed {test}: fix that first"
                 for test, what in self.uses.items() if _passed.get(test) is False]
        if passed < total or total == 0:
            for note in notes:
                print(NOTE + note)
        if self.test is not None:
            _passed[self.test] = total > 0 and passed == total
        if total == 0 or passed == 0:
            raise CheckFailed(self._failure_line(notes))
        earned = round(self.points * passed / total, 2)
        print(f"score: {earned:g} / {self.points:g}")
        return earned

    def _failure_line(self, notes):
        """The one line of a cell that earns 0: the first failed check and its reason, the number of others."""
        failed = [(description, reason) for description, _, ok, reason in self.results if not ok]
        if not failed:
            return f"0 / {self.points:g} points: no check ran"
        description, reason = failed[0]
        more = f" (and {len(failed) - 1} more failed checks above)" if len(failed) > 1 else ""
        return " ".join([f"0 / {self.points:g} points: FAIL {description}: {reason}{more}.",
                         *(f"Note: {note}." for note in notes)])


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
    - tol: Largest accepted max |a - e| / max(1e-8, f max|e|, |a| + |e|), where f is 1e-3, or 1 when
      actual is float32 or narrower: float32 rounds to about 7 digits of the values it combines, so
      its entries near 0 carry errors of the order of 1e-7 of the array's largest entry
    - what: Name used in the failure message, e.g. 'dx'
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what} has shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what} contains NaN or inf")
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    # entries far below the array's largest are compared at a fraction of that size: their own relative
    # error would be rounding noise (numeric gradients of entries near 0, whatever the inputs drawn)
    narrow = np.issubdtype(actual.dtype, np.floating) and actual.dtype.itemsize < 8
    floor = (1.0 if narrow else 1e-3) * float(np.max(np.abs(e), initial=0.0))
    error = float(np.max(np.abs(a - e) / np.maximum(max(1e-8, floor), np.abs(a) + np.abs(e)), initial=0.0))
    if error > tol:
        raise AssertionError(f"{what}: relative error {error:.1e}, must be below {tol:.0e}")


def expect_near(actual, expected, what, rtol=0.0, atol=0.0):
    """
    Assert np.allclose(actual, expected, rtol, atol), every entry finite.

    Inputs:
    - actual: The measured array (or number)
    - expected: What a correct implementation gives (broadcast against actual)
    - what: Name used in the failure message, e.g. 'stds'
    - rtol, atol: The tolerances of np.allclose

    The failure message shows the values measured and expected and the tolerance:
    'stds [0.99749686 0.99749686 0.99749686], expected [1. 1. 1.] within 1e-06 relative'.
    """
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if not (np.all(np.isfinite(actual)) and np.allclose(actual, expected, rtol=rtol, atol=atol)):
        within = " and ".join([f"{atol:g} absolute"] * bool(atol) + [f"{rtol:g} relative"] * bool(rtol)) or "exactly"
        shown = np.broadcast_to(expected, actual.shape) if actual.shape else expected
        raise AssertionError(f"{what} {np.array2string(actual, precision=8)}, "
                             f"expected {np.array2string(shown, precision=8)} within {within}")


def expect_at_most(figures):
    """
    Print each measured figure with its bound (measures.report) and assert none is above it.

    Inputs:
    - figures: A list of (name, value, high): what was measured, the float measured, its largest accepted value

    The failure message names the first three figures above their bound, 'dx error 3.1e-03 (at most 1e-08)',
    and counts the others (all are printed).
    """
    outside = [f"{name.strip()} {value:.1e} (at most {high:.0e})"
               for name, value, high in figures if not report(name, value, high)]
    if outside:
        more = [f"and {len(outside) - 3} more printed above"] if len(outside) > 3 else []
        raise AssertionError("; ".join(outside[:3] + more))


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

    The failure message tells where and by how much they first differ:
    'the cache was modified in place: [1]['a'] changed by up to 6 (expected unchanged)'.
    """
    difference = _difference(before, after)
    if difference:
        raise AssertionError(f"{what} was modified in place: {difference} (expected unchanged)")


def _difference(a, b, where=""):
    """None when b equals a element for element (type, shape, dtype, values), else where and how it first differs."""
    at = f"{where} " if where else ""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return f"{at}{type(a).__name__} became {type(b).__name__}"
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"{at}{a.dtype} of shape {a.shape} became {b.dtype} of shape {b.shape}"
        if np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
            return None
        if a.dtype.kind in "biufc":
            change = np.abs(b.astype(np.complex128) - a.astype(np.complex128))
            return f"{at}NaN appeared" if np.isnan(change).any() else f"{at}changed by up to {np.max(change):.3g}"
        return f"{at}values changed"
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{at}keys {list(a)} became {list(b)}"
        return next(filter(None, (_difference(a[k], b[k], f"{where}[{k!r}]") for k in a)), None)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{at}{type(a).__name__} of length {len(a)} became {type(b).__name__} of length {len(b)}"
        return next(filter(None, (_difference(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b)))), None)
    return None if a == b else f"{at}{a!r} became {b!r}"
