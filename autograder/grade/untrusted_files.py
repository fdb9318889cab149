"""Reading files that untrusted code made: a submitted folder, what a sandbox leaves in its folder.

The host reads these as root, so whoever made them may have planted anything:
a symbolic link to a host file (/etc/shadow, another student's notebook), a
FIFO that blocks its reader, a file of gigabytes, a folder where a file is
expected. Here no link is ever followed (lstat before open, then O_NOFOLLOW,
and the opened file must be the one looked at), only regular files are read,
and never more than the bytes the caller allows. A refusal is an
UntrustedFileError whose message says why in a few words.
"""
import os
import stat

_KINDS = {stat.S_ISLNK: "a symbolic link", stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO",
          stat.S_ISSOCK: "a socket", stat.S_ISCHR: "a device", stat.S_ISBLK: "a device"}


class UntrustedFileError(ValueError):
    """
    A file made by untrusted code was not read. path and why say which and why,
    str(error) both: 'results.json is a symbolic link'.
    """

    def __init__(self, path, why):
        super().__init__(f"{path} {why}")
        self.path, self.why = path, why


class TooLarge(UntrustedFileError):
    """The file holds more bytes than the reader allows."""


def read_untrusted(path, *, max_bytes, dir_fd=None):
    """
    The content of a regular file made by untrusted code.

    Inputs:
    - path: The file's path, relative to dir_fd when given; its last component
      is never followed if it is a link (make sure the folders leading to it are
      not links, e.g. with walk_untrusted)
    - max_bytes: The most bytes to read (an int)
    - dir_fd: An open folder descriptor path is relative to (as for os.open), or None

    Returns the file's bytes, at most max_bytes of them. Raises UntrustedFileError
    when path does not exist, is a symbolic link or not a regular file (a folder,
    FIFO, socket or device), TooLarge when it holds more than max_bytes bytes.
    """
    try:
        before = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
        _expect_regular(path, before)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        raise UntrustedFileError(path, "does not exist") from None
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise UntrustedFileError(path, "was replaced while it was read")
        _expect_regular(path, opened)
        content = file.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise TooLarge(path, f"is larger than {max_bytes} bytes")
    return content


def _expect_regular(path, status):
    if not stat.S_ISREG(status.st_mode):
        raise UntrustedFileError(path, f"is {_kind(status, 'not a regular file')}")


def _kind(status, otherwise):
    return next((name for test, name in _KINDS.items() if test(status.st_mode)), otherwise)


def is_plain(status):
    """Whether an lstat result is a regular file or a folder (not a link, FIFO, socket or device)."""
    return stat.S_ISREG(status.st_mode) or stat.S_ISDIR(status.st_mode)


def walk_untrusted(folder):
    """
    Every entry below folder, never following a link: a link to a folder is an entry, not entered.

    Inputs:
    - folder: A folder; it must not be a symbolic link itself

    Yields (relative path, lstat result, dir_fd, name) with each folder before its
    contents: dir_fd is the entry's parent folder, open while the entry is current,
    for calls relative to it (read_untrusted(name, dir_fd=dir_fd, ...),
    os.unlink(name, dir_fd=dir_fd)). Raises UntrustedFileError when folder is a
    link or not a folder.
    """
    status = os.stat(folder, follow_symlinks=False)
    if not stat.S_ISDIR(status.st_mode):
        raise UntrustedFileError(folder, f"is {_kind(status, 'not a folder')}")
    for root, folders, files, root_fd in os.fwalk(folder, follow_symlinks=False):
        relative = os.path.relpath(root, folder)
        entered = []
        for name in sorted(folders + files):
            entry = os.stat(name, dir_fd=root_fd, follow_symlinks=False)
            if stat.S_ISDIR(entry.st_mode):
                entered.append(name)
            yield os.path.normpath(os.path.join(relative, name)), entry, root_fd, name
        folders[:] = entered  # fwalk enters these only, and never through a link
