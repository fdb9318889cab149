"""Dataset loading for the course's notebooks.

The batch-normalization notebook draws its own synthetic data; the training
experiments load a real dataset, split and preprocessed:

- ``load_dataset()``: CIFAR-10 when its files are present, else the small
  digits dataset that ships with this package, so the notebooks also run offline.
- ``get_CIFAR10_data`` (``data_utils.cifar10``): CIFAR-10, images (N, 3, 32, 32).
- ``get_digits_data`` (``data_utils.digits``): the 8x8 digits, images (N, 1, 8, 8).
- ``python -m data_utils download cifar10`` (``data_utils.download``): fetches
  CIFAR-10, or unpacks an archive copied by hand with ``--archive PATH``.
- ``load_mnist_or_digits()`` (``data_utils.mnist``): MNIST, images (N, 1, 28, 28),
  when its idx files are present, else the digits; ``python -m data_utils download
  mnist`` (``data_utils.mnist_download``) fetches them.

Environment variables: ``CIFAR10_DIR``, the folder of the CIFAR-10 batches
(default ``~/.cache/batchnorm-suite/cifar-10-batches-py``); ``BN_SUITE_DATASET``,
``cifar10`` or ``digits`` to choose the dataset ``load_dataset()`` loads; ``MNIST_DIR``,
the folder of MNIST's idx files (default ``~/.cache/batchnorm-suite/mnist``).
"""
import os

from .cifar10 import DatasetNotFound, default_cifar10_dir, download_command, get_CIFAR10_data, missing_files
from .digits import get_digits_data
from .mnist import get_MNIST_data, load_mnist_or_digits

__all__ = ["load_dataset", "load_mnist_or_digits", "get_CIFAR10_data", "get_MNIST_data", "get_digits_data",
           "DatasetNotFound"]

LOADERS = {"cifar10": get_CIFAR10_data, "digits": get_digits_data}
OPTIONS = ("num_training", "num_validation", "num_test", "subtract_mean")
DATASET_VARIABLE = "BN_SUITE_DATASET"


def load_dataset(name=None, **kwargs):
    """
    Load the dataset of the training experiments, split and preprocessed.

    Inputs:
    - name: 'cifar10' or 'digits' to load that one. None: $BN_SUITE_DATASET if
      set, else CIFAR-10 when its files are present, else the digits, with a
      printed notice saying why and how to get CIFAR-10
    - kwargs: Any of num_training, num_validation, num_test, subtract_mean,
      passed to the loader (each loader has its own defaults)

    Returns a tuple of:
    - data: Dict with X_train, y_train, X_val, y_val, X_test, y_test, as
      get_CIFAR10_data or get_digits_data returns it
    - dataset_name: 'cifar10' or 'digits', the dataset loaded

    Raises ValueError for an unknown dataset name, TypeError for other kwargs,
    and what the loader raises (DatasetNotFound when 'cifar10' is asked for
    and missing).
    """
    unknown = sorted(set(kwargs) - set(OPTIONS))
    if unknown:
        raise TypeError(f"load_dataset() does not take {', '.join(unknown)} (it takes {', '.join(OPTIONS)})")
    origin = "the name given"
    if name is None and os.environ.get(DATASET_VARIABLE):
        name, origin = os.environ[DATASET_VARIABLE], f"${DATASET_VARIABLE}"
    if name is None:
        name = _cifar10_or_fallback()
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r} in {origin} (choices: {', '.join(LOADERS)})")
    return LOADERS[name](**kwargs), name


def _cifar10_or_fallback():
    """'cifar10' when its files are in the default folder, else 'digits' after printing why."""
    cifar10_dir = default_cifar10_dir()
    if not missing_files(cifar10_dir):
        return "cifar10"
    print(f"NOTE: using the digits dataset (1,797 grayscale 8x8 images) instead of CIFAR-10: "
          f"CIFAR-10 not found at {cifar10_dir}.\n"
          f"To use CIFAR-10, run: {download_command(cifar10_dir)}\n"
          f"(or set {DATASET_VARIABLE}=digits to choose the digits and skip this note)")
    return "digits"
