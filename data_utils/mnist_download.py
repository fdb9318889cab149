"""Put MNIST where the loaders look for it: download its four gzipped idx files, each checked by its md5.

A file is written under its final name only once its md5 is right, so an
interrupted or corrupted download never leaves a file the loader would read.
Files already present (gzipped or not) are not fetched again.
"""
import pathlib
import tempfile

from .download import DownloadError, _fetch, _md5
from .mnist import FILES, default_mnist_dir, missing_files

# A mirror of the original files (the original site often refuses downloads), as torchvision uses it.
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_MD5 = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}


def offline_help(url):
    """What to do when this machine cannot download url."""
    names = ", ".join(f"{name}.gz" for name in FILES.values())
    return (f"Without internet access here: download {names} (from {url.rsplit('/', 1)[0]}/ or any copy) on a "
            f"machine that has it and copy them into the MNIST folder; the loaders read them as they are. "
            f"Until then load_mnist_or_digits() falls back to the digits dataset.")


def download_mnist(dest_dir=None, url=MNIST_URL, md5=MNIST_MD5, timeout=60):
    """
    Put the four MNIST idx files, gzipped, in dest_dir.

    Inputs:
    - dest_dir: Folder to write them to, created if needed; default: default_mnist_dir()
    - url: Base address the file names are appended to (ending with '/')
    - md5: Dict file name (without .gz) -> expected md5 of the gzipped file, as a hex string
    - timeout: Seconds to wait for the server

    Returns the folder. Files already in it (gzipped or not) are kept and not
    fetched; when none is missing, prints so and returns without downloading.

    Raises DownloadError when the server cannot be reached or a file's md5 differs.
    """
    dest_dir = default_mnist_dir() if dest_dir is None else pathlib.Path(dest_dir)
    missing = missing_files(dest_dir)
    if not missing:
        print(f"MNIST is already in {dest_dir} (delete its files to fetch them again)")
        return dest_dir
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".download-") as scratch:
        for name in missing:
            partial = pathlib.Path(scratch) / f"{name}.gz"
            _fetch(f"{url}{name}.gz", partial, timeout, offline=offline_help)
            got = _md5(partial)
            if got != md5[name]:
                raise DownloadError(f"wrong checksum for {name}.gz: expected md5 {md5[name]}, got {got}. "
                                    f"The file is incomplete or not the official one; download it again.")
            partial.replace(dest_dir / f"{name}.gz")
    print(f"MNIST is in {dest_dir}")
    return dest_dir
