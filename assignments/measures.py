"""What the visible checks print: errors and statistics next to the bound they should stay under."""
import numpy as np


def rel_error(x, y):
    """
    Largest elementwise relative error between two arrays of the same shape.

    Returns max |x - y| / max(1e-8, |x| + |y|), a float; 0.0 for identical arrays.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def print_mean_std(x, axis=0):
    """Print the mean and the (population) standard deviation of x along an axis."""
    print("  means: ", x.mean(axis=axis))
    print("  stds:  ", x.std(axis=axis))
    print()


def report(name, value, high):
    """
    Print one measured figure, an error or a distance, and the most a correct implementation gives.

    Inputs:
    - name: What was measured, e.g. 'dx error'
    - value: The measured float
    - high: The largest value a correct implementation gives (errors have no lower bound:
      a more exact answer is as good)

    Returns True when value <= high (False for NaN), so a cell can also count passes.
    """
    ok = bool(value <= high)
    verdict = "ok" if ok else "TOO LARGE"
    print(f"{name}: {value:.3e}   (expected at most {high:.0e}: {verdict})")
    return ok
