"""Put CIFAR-10 where the loaders look for it: download the official archive, or unpack a copy brought by hand.

Either way the archive's md5 is checked before anything is unpacked, and an
archive member that would land outside the destination folder (an absolute
path, '..', a link) stops the unpacking before any file is written.
"""
import hashlib
import http.client
import pathlib
import tarfile
import tempfile
import urllib.error
import urllib.request

from tqdm import tqdm

from .cifar10 import FOLDER_NAME, default_cifar10_dir, missing_files

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
CHUNK_BYTES = 1 << 20
# tarfile's own safety filter, where this Python has it (3.10.12+, 3.11.4+); the member check below applies regardless
EXTRACT_OPTIONS = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


class DownloadError(RuntimeError):
    """Getting a dataset failed; the message says why and what to do instead."""


def offline_help(url):
    """What to do when this machine cannot download url."""
    return (f"Without internet access here: download {url} on a machine that has it, copy the file to this "
            f"machine, and run `python -m data_utils download cifar10 --archive PATH` (with the same --dir, "
            f"if you gave one). Until then load_dataset() falls back to the digits dataset.")


def download_cifar10(dest_dir=None, archive=None, url=CIFAR10_URL, md5=CIFAR10_MD5, timeout=60):
    """
    Put CIFAR-10 in dest_dir/cifar-10-batches-py, downloaded from url or unpacked from a copied archive.

    Inputs:
    - dest_dir: Folder to unpack into, created if needed; default: the parent of
      default_cifar10_dir(), so the loaders find the result
    - archive: Path of cifar-10-python.tar.gz already on this machine (kept as it
      is); None to download it from url into a temporary file, deleted afterwards
    - url: Where to download the archive from
    - md5: The archive's expected md5, as a hex string
    - timeout: Seconds to wait for the server

    Returns the path of the cifar-10-batches-py folder. When that folder already
    holds every batch, prints so and returns without downloading.

    Raises DownloadError when the server cannot be reached, the md5 differs, or
    the archive is unreadable, unsafe or lacks the batches.
    """
    dest_dir = default_cifar10_dir().parent if dest_dir is None else pathlib.Path(dest_dir)
    target = dest_dir / FOLDER_NAME
    if not missing_files(target):
        print(f"CIFAR-10 is already in {target} (delete that folder to fetch it again)")
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".download-") as scratch:
        if archive is None:
            archive = pathlib.Path(scratch) / ARCHIVE_NAME
            _fetch(url, archive, timeout)
        _unpack_verified(pathlib.Path(archive), md5, dest_dir)
    missing = missing_files(target)
    if missing:
        raise DownloadError(f"the archive unpacked, but {target} lacks {', '.join(missing)}: it is not CIFAR-10")
    print(f"CIFAR-10 is in {target}")
    return target


def _fetch(url, path, timeout, offline=offline_help):
    """
    Stream url into the file path, with a progress bar on a terminal.

    Raises DownloadError on network failure, its message ending with offline(url),
    what to do without internet access.
    """
    print(f"downloading {url}")
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise DownloadError(f"could not reach {url} ({_reason(error)}).\n{offline(url)}") from None
    with response, open(path, "wb") as out, \
            tqdm(total=response.length, unit="B", unit_scale=True, disable=None) as progress:
        try:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                progress.update(len(chunk))
        except (OSError, http.client.HTTPException) as error:
            raise DownloadError(f"the download of {url} broke off ({_reason(error)}).\n{offline(url)}") from None


def _reason(error):
    """The readable part of a network error: '[Errno 111] Connection refused', 'HTTP Error 404: Not Found'."""
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return error.reason
    return error


def _md5(path):
    """Hex md5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _unpack_verified(archive, md5, dest_dir):
    """Check the md5 of the tar.gz archive, then every member's path, then unpack it into dest_dir."""
    if not archive.is_file():
        raise DownloadError(f"archive not found: {archive}")
    got = _md5(archive)
    if got != md5:
        raise DownloadError(f"wrong checksum for {archive.name}: expected md5 {md5}, got {got}. "
                            f"The file is incomplete or not the official archive; download it again.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            tar.extractall(dest_dir, members=members, **EXTRACT_OPTIONS)
    except (tarfile.TarError, EOFError) as error:
        raise DownloadError(f"{archive} is not a readable tar.gz archive ({error})") from None


def _check_member(member):
    """Raise DownloadError unless the tar member is a plain file or folder with a relative path that stays inside."""
    path = pathlib.PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
        raise DownloadError(f"refusing to unpack the archive: member {member.name!r} is not a plain file or "
                            f"folder with a relative path inside the archive")
