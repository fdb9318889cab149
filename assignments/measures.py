"""What the visible checks print: errors and statistics next to the range they should fall in."""
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


def report(name, value, low, high):
    """
    Print one measured figure and the range a correct implementation gives.

    Inputs:
    - name: What was measured, e.g. 'dx error'
    - value: The measured float
    - low, high: The range a correct implementation falls in

    Returns True when low <= value <= high, so a cell can also count passes.
    """
    ok = low <= value <= high
    verdict = "ok" if ok else "OUTSIDE the expected range"
    print(f"{name}: {value:.3e}   (expected {low:.0e} to {high:.0e}: {verdict})")
    return ok
