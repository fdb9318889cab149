"""Command line of the datasets: `python -m data_utils download cifar10`."""
import argparse
import pathlib
import sys
import textwrap

from .cifar10 import DEFAULT_DIR, DIR_VARIABLE, FOLDER_NAME, default_cifar10_dir
from .download import ARCHIVE_NAME, CIFAR10_MD5, CIFAR10_URL, DownloadError, download_cifar10, offline_help

DOWNLOAD_DESCRIPTION = "\n\n".join(textwrap.fill(paragraph, 79, break_on_hyphens=False) for paragraph in (
    f"Fetch CIFAR-10 (the python version, about 163 MB) from {CIFAR10_URL}, check its md5 ({CIFAR10_MD5}) "
    f"and unpack it so that DIR/{FOLDER_NAME} holds the six batches. Nothing is done when that folder is "
    f"already complete.",
    f"The notebooks read CIFAR-10 from ${DIR_VARIABLE} if set, else from {DEFAULT_DIR}; "
    f"DIR defaults to the parent of that folder, so the loaders find what this command unpacks.",
    offline_help("the archive"),
))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m data_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    download = commands.add_parser(
        "download", help="download a dataset and unpack it where the notebooks look for it",
        description=DOWNLOAD_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    download.add_argument("dataset", choices=["cifar10"],
                          help="the dataset (the digits fallback ships with scikit-learn and needs no download)")
    download.add_argument("--dir", type=pathlib.Path, default=default_cifar10_dir().parent,
                          help="folder to unpack into, created if needed (default: %(default)s)")
    download.add_argument("--archive", type=pathlib.Path, metavar="PATH",
                          help=f"unpack this copy of {ARCHIVE_NAME} instead of downloading "
                               f"(copied by hand from a machine with internet access; its md5 is checked)")
    download.add_argument("--url", default=CIFAR10_URL,
                          help="download from this mirror instead (default: %(default)s); "
                               "the md5 is checked all the same")

    args = parser.parse_args(argv)
    try:
        download_cifar10(args.dir, archive=args.archive, url=args.url)
    except (DownloadError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
