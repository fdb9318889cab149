"""A submission's scratch folder: a tmpfs of its own, with a total size and a file count, where the machine allows.

RLIMIT_FSIZE caps each file a sandbox writes, not their total nor their number:
a loop of 255 MB files fills the host's disk, and a million empty files make
walking the folder (to hand it back, to delete it) take minutes. Mounted as a
tmpfs of size_mb and max_files inodes, the folder refuses the write past either
(ENOSPC), lives in RAM (where the sandbox's memory cgroup counts the pages its
processes write) and goes in one unmount.

Mounting needs root (CAP_SYS_ADMIN). `private_mounts()`, run first in a worker
process, gives that process a mount namespace of its own, so that its mounts
vanish with it even when it is killed. Elsewhere the folder is a plain
temporary folder; `unavailable_reason()` says why.
"""
import contextlib
import ctypes
import dataclasses
import functools
import os
import pathlib
import shutil
import tempfile

from .leftovers import owned_name, stale

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
MNT_DETACH = 0x2
PREFIX = "autograder-scratch-"
_libc = ctypes.CDLL(None, use_errno=True)


@dataclasses.dataclass(frozen=True)
class Scratch:
    """A scratch folder: a tmpfs of its own (size and file count capped), or a plain folder and why."""
    path: pathlib.Path
    uncapped_because: str | None

    @property
    def capped(self):
        return self.uncapped_because is None


def private_mounts():
    """
    Give this process a mount namespace of its own, where its mounts do not reach
    the host and are undone when its last process ends. For a worker process's
    initializer: it must be single-threaded. Without the privilege, nothing changes.
    """
    if _libc.unshare(CLONE_NEWNS) == 0:
        _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)


@contextlib.contextmanager
def scratch_folder(*, size_mb, max_files):
    """
    A fresh scratch folder for one submission, deleted on exit.

    Inputs:
    - size_mb: The most MB its files may hold together
    - max_files: The most files and folders it may hold (the folder itself counts as one)

    Yields a Scratch: a tmpfs capped at size_mb and max_files where this process
    may mount one, else a plain folder with no cap.
    """
    path = pathlib.Path(tempfile.gettempdir()) / owned_name(PREFIX)
    path.mkdir(mode=0o700)
    scratch = Scratch(path, _mount_tmpfs(path, size_mb, max_files))
    try:
        yield scratch
    finally:
        if scratch.capped:
            _libc.umount2(bytes(path), MNT_DETACH)
            path.rmdir()
        else:
            shutil.rmtree(path, ignore_errors=True)


def _mount_tmpfs(path, size_mb, max_files):
    """Mount a tmpfs on path; None when done, else why not (the error's text)."""
    options = f"size={size_mb}m,nr_inodes={max_files},mode=0755".encode()
    if _libc.mount(b"tmpfs", bytes(path), b"tmpfs", MS_NOSUID | MS_NODEV, options) == 0:
        return None
    return os.strerror(ctypes.get_errno())


@functools.cache
def unavailable_reason():
    """None when scratch folders are capped here, else one line saying why not."""
    with scratch_folder(size_mb=1, max_files=16) as probe:
        if probe.capped:
            return None
        return f"cannot mount a tmpfs ({probe.uncapped_because}): grade as root, or in a container allowed to mount"


def remove_stale():
    """
    Remove the scratch folders that processes killed before they could (see
    autograder/leftovers.py): a mount point left empty, or a plain folder and its files.
    """
    for path in stale(pathlib.Path(tempfile.gettempdir()), PREFIX):
        if os.path.ismount(path):  # mounted where no private mount namespace was to be had
            _libc.umount2(bytes(path), MNT_DETACH)
        shutil.rmtree(path, ignore_errors=True)
