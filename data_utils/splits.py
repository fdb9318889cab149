"""Splits as the loaders return them: consecutive slices of a pool of examples, mean image subtracted."""
import numbers

ARGUMENTS = {"train": "num_training", "val": "num_validation", "test": "num_test"}


def take_consecutive(source, X, y, **sizes):
    """
    Cut splits one after the other from the start of a pool of examples.

    Inputs:
    - source: What the pool is, for error messages, e.g. 'the CIFAR-10 test batch'
    - X: Examples, array of shape (N, ...)
    - y: Labels, array of shape (N,)
    - sizes: Split name ('train', 'val' or 'test') -> number of examples, in cutting order

    Returns a dict with, for each split, X_<split> (a C-contiguous copy of its
    rows of X) and y_<split> (a copy of its labels).

    Raises ValueError when a size is not a non-negative integer or when the
    sizes add up to more than N.
    """
    for split, size in sizes.items():
        if not isinstance(size, numbers.Integral) or size < 0:
            raise ValueError(f"{ARGUMENTS[split]} must be a non-negative integer, got {size!r}")
    total = sum(sizes.values())
    if total > len(X):
        asked = " + ".join(f"{ARGUMENTS[split]}={size}" for split, size in sizes.items())
        raise ValueError(f"not enough examples in {source}: {asked} asks for {total}, there are {len(X)}")
    splits, start = {}, 0
    for split, size in sizes.items():
        splits[f"X_{split}"] = X[start:start + size].copy()
        splits[f"y_{split}"] = y[start:start + size].copy()
        start += size
    return splits


def subtract_mean_image(data):
    """
    Subtract the mean training image from every image, in place.

    Inputs:
    - data: Dict with float arrays X_train, X_val, X_test of shape (N, C, H, W)

    Returns data, its X_* arrays shifted by the mean of X_train over its N images.

    Raises ValueError when X_train is empty (its mean is undefined).
    """
    if len(data["X_train"]) == 0:
        raise ValueError("subtracting the mean training image needs num_training >= 1")
    mean_image = data["X_train"].mean(axis=0)
    for key in ("X_train", "X_val", "X_test"):
        data[key] -= mean_image
    return data
