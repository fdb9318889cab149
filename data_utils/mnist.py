"""MNIST from its four idx files: where they live, reading them, the notebooks' splits, and the digits fallback.

MNIST (http://yann.lecun.com/exdb/mnist/) is 70,000 grayscale 28x28 images of
handwritten digits: 60,000 training and 10,000 test images, each set as one
idx file of images and one of labels. The files are read as they are
downloaded (gzipped) or unpacked: ``train-images-idx3-ubyte.gz`` or
``train-images-idx3-ubyte`` both do. ``python -m data_utils download mnist``
puts them in place.
"""
import gzip
import os
import pathlib
import shlex

import numpy as np

from .cifar10 import DatasetNotFound
from .digits import get_digits_data
from .splits import subtract_mean_image, take_consecutive

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DIR_VARIABLE = "MNIST_DIR"
DEFAULT_DIR = pathlib.Path("~/.cache/batchnorm-suite/mnist")
MAX_PIXEL = 255.0
GZIP_MAGIC = b"\x1f\x8b"
# the idx format's type codes (third byte of the magic number) and their big-endian numpy types
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def default_mnist_dir():
    """The folder MNIST is read from by default: $MNIST_DIR if set, else DEFAULT_DIR (in ~/.cache)."""
    return pathlib.Path(os.environ.get(DIR_VARIABLE) or DEFAULT_DIR).expanduser()


def find_file(mnist_dir, name):
    """The path of idx file `name` in mnist_dir, gzipped (name.gz) or not; None when neither exists."""
    for candidate in (pathlib.Path(mnist_dir) / f"{name}.gz", pathlib.Path(mnist_dir) / name):
        if candidate.is_file():
            return candidate
    return None


def missing_files(mnist_dir):
    """Names of the idx files absent from mnist_dir (in either form), in order; empty when MNIST is complete."""
    return [name for name in FILES.values() if find_file(mnist_dir, name) is None]


def download_command(mnist_dir):
    """The shell command that puts MNIST in mnist_dir, as messages show it."""
    return f"python -m data_utils download mnist --dir {shlex.quote(str(mnist_dir))}"


def read_idx(path):
    """
    Read one idx file, gzipped or not (recognized by its content, not its name).

    The format: two zero bytes, a type code, the number of dimensions d, then d
    big-endian 32-bit sizes, then the values in C order, big-endian.

    Inputs:
    - path: The file

    Returns a numpy array of the file's shape and type (native byte order).

    Raises ValueError when the file is not in the idx format or its size does
    not match its header.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path} is a damaged gzip file ({error})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES:
        raise ValueError(f"{path} is not an idx file (it does not start with an idx magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    if len(raw) != header + dtype.itemsize * int(np.prod(shape)):
        raise ValueError(f"{path} holds {len(raw) - header} bytes of values, but its header announces "
                         f"{dtype.itemsize * int(np.prod(shape))} (shape {shape})")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_MNIST(root):
    """
    Load all of MNIST from the folder of its idx files.

    Inputs:
    - root: Folder holding the four idx files, gzipped or not

    Returns a tuple of:
    - Xtr: Training images, float64 array of shape (60000, 28, 28), values 0..255
    - Ytr: Training labels, integer array of shape (60000,)
    - Xte: Test images, float64 array of shape (10000, 28, 28)
    - Yte: Test labels, integer array of shape (10000,)

    Raises DatasetNotFound when a file is missing, ValueError when one is not
    in the idx format or images and labels do not match.
    """
    root = pathlib.Path(root)
    missing = missing_files(root)
    if missing:
        problem = f"MNIST not found: no folder {root}" if not root.is_dir() else \
            f"MNIST is incomplete in {root}: missing {', '.join(missing)} (or the same name with .gz)"
        raise DatasetNotFound(f"{problem}. Download it with: {download_command(root)}")
    arrays = {key: read_idx(find_file(root, name)) for key, name in FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.shape != (len(images),):
            raise ValueError(f"MNIST in {root}: {split} images of shape {images.shape} "
                             f"do not match labels of shape {labels.shape}")
    return (arrays["train_images"].astype(np.float64), arrays["train_labels"].astype(np.int64),
            arrays["test_images"].astype(np.float64), arrays["test_labels"].astype(np.int64))


def get_MNIST_data(num_training=50000, num_validation=10000, num_test=10000, subtract_mean=True, mnist_dir=None):
    """
    MNIST split for training a classifier, images channels first.

    Inputs:
    - num_training: Number of training images: the first ones of the training set
    - num_validation: Number of validation images: the ones right after the training images
    - num_test: Number of test images: the first ones of the test set
    - subtract_mean: If True, subtract the mean training image from every image
    - mnist_dir: Folder of the idx files; default: default_mnist_dir()

    Returns a dict with:
    - X_train, X_val, X_test: float64 arrays of shape (N, 1, 28, 28), pixels
      scaled to [0, 1] before the mean is subtracted
    - y_train, y_val, y_test: Integer labels 0..9 of shape (N,)

    Raises DatasetNotFound when files are missing, ValueError when fewer images
    exist than asked for.
    """
    Xtr, Ytr, Xte, Yte = load_MNIST(default_mnist_dir() if mnist_dir is None else mnist_dir)
    data = {**take_consecutive("the MNIST training set", Xtr[:, np.newaxis] / MAX_PIXEL, Ytr,
                               train=num_training, val=num_validation),
            **take_consecutive("the MNIST test set", Xte[:, np.newaxis] / MAX_PIXEL, Yte, test=num_test)}
    return subtract_mean_image(data) if subtract_mean else data


def load_mnist_or_digits(**kwargs):
    """
    MNIST when its files are in default_mnist_dir(), else the digits, with a printed notice saying why.

    Inputs:
    - kwargs: Any of num_training, num_validation, num_test, subtract_mean, passed
      to get_MNIST_data or get_digits_data (each has its own defaults)

    Returns a tuple of:
    - data: Dict with X_train, y_train, X_val, y_val, X_test, y_test, images of
      shape (N, 1, 28, 28) for MNIST and (N, 1, 8, 8) for the digits
    - dataset_name: 'mnist' or 'digits', the dataset loaded
    """
    mnist_dir = default_mnist_dir()
    if not missing_files(mnist_dir):
        return get_MNIST_data(mnist_dir=mnist_dir, **kwargs), "mnist"
    print(f"NOTE: using the digits dataset (1,797 grayscale 8x8 images) instead of MNIST: "
          f"MNIST not found at {mnist_dir}.\n"
          f"To use MNIST, run: {download_command(mnist_dir)}\n"
          f"(or copy its four idx files there, or set {DIR_VARIABLE} to the folder that holds them)")
    return get_digits_data(**kwargs), "digits"
