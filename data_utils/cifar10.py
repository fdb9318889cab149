"""CIFAR-10 from the official python batches: where they live, loading, and the notebooks' splits.

CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html) is 60,000 32x32 colour
images in 10 classes, shipped as a folder ``cifar-10-batches-py`` of pickled
batches: data_batch_1 ... data_batch_5 (50,000 training images) and test_batch
(10,000 test images). ``python -m data_utils download cifar10`` puts it in place.
"""
import os
import pathlib
import pickle
import shlex

import numpy as np

from .splits import subtract_mean_image, take_consecutive

FOLDER_NAME = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
DIR_VARIABLE = "CIFAR10_DIR"
DEFAULT_DIR = pathlib.Path("~/.cache/batchnorm-suite") / FOLDER_NAME


class DatasetNotFound(FileNotFoundError):
    """A dataset's files are missing; the message names the folder and the command that downloads them."""


def default_cifar10_dir():
    """The folder CIFAR-10 is read from by default: $CIFAR10_DIR if set, else DEFAULT_DIR (in ~/.cache)."""
    return pathlib.Path(os.environ.get(DIR_VARIABLE) or DEFAULT_DIR).expanduser()


def missing_files(cifar10_dir):
    """Names of the batch files absent from cifar10_dir, in order; empty when CIFAR-10 is complete there."""
    return [name for name in (*TRAIN_BATCHES, TEST_BATCH) if not (pathlib.Path(cifar10_dir) / name).is_file()]


def download_command(cifar10_dir):
    """The shell command that puts CIFAR-10 in cifar10_dir, as messages show it."""
    cifar10_dir = pathlib.Path(cifar10_dir)
    if cifar10_dir.name == FOLDER_NAME:
        return f"python -m data_utils download cifar10 --dir {shlex.quote(str(cifar10_dir.parent))}"
    return f"python -m data_utils download cifar10 --dir DIR, then set {DIR_VARIABLE}=DIR/{FOLDER_NAME}"


def load_CIFAR_batch(filename):
    """
    Load one batch file of the official python version of CIFAR-10.

    Inputs:
    - filename: Path of a batch (data_batch_1 ... data_batch_5 or test_batch), a
      pickle of a dict whose 'data' is a uint8 array of shape (N, 3072), each row
      the red, green and blue 32x32 planes one after the other, and whose
      'labels' is a list of N class indices

    Returns a tuple of:
    - X: Images, float64 array of shape (N, 32, 32, 3), channels R, G, B, values 0..255
    - Y: Labels, integer array of shape (N,)

    Raises ValueError when the file is not such a batch.
    """
    with open(filename, "rb") as f:
        try:
            batch = pickle.load(f, encoding="latin1")
            X = np.asarray(batch["data"]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
            Y = np.asarray(batch["labels"])
        except Exception as error:  # unpickling a foreign file can raise anything
            raise ValueError(f"{filename} is not a CIFAR-10 python batch ({type(error).__name__}: {error})") from None
    if Y.shape != (len(X),):
        raise ValueError(f"{filename} is not a CIFAR-10 python batch: {len(X)} images but labels of shape {Y.shape}")
    return X, Y


def load_CIFAR10(root):
    """
    Load all of CIFAR-10 from the folder of the official python batches.

    Inputs:
    - root: Folder holding data_batch_1 ... data_batch_5 and test_batch

    Returns a tuple of:
    - Xtr: Training images, float64 array of shape (50000, 32, 32, 3), the batches in order
    - Ytr: Training labels, integer array of shape (50000,)
    - Xte: Test images, float64 array of shape (10000, 32, 32, 3)
    - Yte: Test labels, integer array of shape (10000,)

    Raises DatasetNotFound when a batch file is missing.
    """
    root = pathlib.Path(root)
    missing = missing_files(root)
    if missing:
        problem = f"CIFAR-10 not found: no folder {root}" if not root.is_dir() else \
            f"CIFAR-10 is incomplete in {root}: missing {', '.join(missing)}"
        raise DatasetNotFound(f"{problem}. Download it with: {download_command(root)}")
    batches = [load_CIFAR_batch(root / name) for name in TRAIN_BATCHES]
    Xtr = np.concatenate([X for X, _ in batches])
    Ytr = np.concatenate([Y for _, Y in batches])
    Xte, Yte = load_CIFAR_batch(root / TEST_BATCH)
    return Xtr, Ytr, Xte, Yte


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True, cifar10_dir=None):
    """
    CIFAR-10 split for training a classifier, images channels first.

    Inputs:
    - num_training: Number of training images: the first ones of the training batches
    - num_validation: Number of validation images: the ones right after the training images
    - num_test: Number of test images: the first ones of the test batch
    - subtract_mean: If True, subtract the mean training image from every image
    - cifar10_dir: Folder of the python batches; default: default_cifar10_dir()

    Returns a dict with:
    - X_train, X_val, X_test: float64 arrays of shape (N, 3, 32, 32)
    - y_train, y_val, y_test: Integer labels of shape (N,)

    Raises DatasetNotFound when files are missing, ValueError when fewer images
    exist than asked for.
    """
    Xtr, Ytr, Xte, Yte = load_CIFAR10(default_cifar10_dir() if cifar10_dir is None else cifar10_dir)
    data = {**take_consecutive("the CIFAR-10 training batches", Xtr.transpose(0, 3, 1, 2), Ytr,
                               train=num_training, val=num_validation),
            **take_consecutive("the CIFAR-10 test batch", Xte.transpose(0, 3, 1, 2), Yte, test=num_test)}
    return subtract_mean_image(data) if subtract_mean else data
