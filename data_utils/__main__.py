"""Command line of the datasets: `python -m data_utils download cifar10` (or `mnist`)."""
import argparse
import pathlib
import sys
import textwrap

from . import mnist
from .cifar10 import DEFAULT_DIR, DIR_VARIABLE, FOLDER_NAME, default_cifar10_dir
from .download import ARCHIVE_NAME, CIFAR10_MD5, CIFAR10_URL, DownloadError, download_cifar10, offline_help
from .mnist_download import MNIST_URL, download_mnist

DOWNLOAD_DESCRIPTION = "\n\n".join(textwrap.fill(paragraph, 79, break_on_hyphens=False) for paragraph in (
    f"cifar10: fetch CIFAR-10 (the python version, about 163 MB) from {CIFAR10_URL}, check its md5 "
    f"({CIFAR10_MD5}) and unpack it so that DIR/{FOLDER_NAME} holds the six batches. Nothing is done when that "
    f"folder is already complete.",
    f"The notebooks read CIFAR-10 from ${DIR_VARIABLE} if set, else from {DEFAULT_DIR}; "
    f"DIR defaults to the parent of that folder, so the loaders find what this command unpacks.",
    offline_help("the archive"),
    f"mnist: fetch the four gzipped idx files of MNIST (about 11 MB) from {MNIST_URL} into DIR, each checked "
    f"by its md5; files already there are kept. The notebooks read MNIST from ${mnist.DIR_VARIABLE} if set, "
    f"else from {mnist.DEFAULT_DIR}, which is DIR's default. Without internet access, copy the four files "
    f"into that folder by hand: gzipped or not, the loaders read them as they are.",
))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    download = commands.add_parser(
        "download", help="download a dataset and unpack it where the notebooks look for it",
        description=DOWNLOAD_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    download.add_argument("dataset", choices=["cifar10", "mnist"],
                          help="the dataset (the digits fallback ships with this package and needs no download)")
    download.add_argument("--dir", type=pathlib.Path,
                          help=f"folder to unpack into, created if needed (default: {default_cifar10_dir().parent} "
                               f"for cifar10, {mnist.default_mnist_dir()} for mnist)")
    download.add_argument("--archive", type=pathlib.Path, metavar="PATH",
                          help=f"cifar10 only: unpack this copy of {ARCHIVE_NAME} instead of downloading "
                               f"(copied by hand from a machine with internet access; its md5 is checked)")
    download.add_argument("--url",
                          help=f"download from this mirror instead (default: {CIFAR10_URL} for cifar10, "
                               f"the folder {MNIST_URL} for mnist); the md5 is checked all the same")

    args = parser.parse_args(argv)
    if args.dataset == "mnist" and args.archive is not None:
        parser.error("--archive is for cifar10; for mnist, copy the four idx files into the folder instead")
    try:
        if args.dataset == "cifar10":
            download_cifar10(args.dir, archive=args.archive, url=args.url or CIFAR10_URL)
        else:
            download_mnist(args.dir, url=args.url or MNIST_URL)
    except (DownloadError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
