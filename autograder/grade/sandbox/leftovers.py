"""Names that say which process made a thing (a scratch folder, a cgroup), to find those a killed process left.

A worker killed with SIGKILL cannot remove what it made: its scratch folder's
mount point (an empty folder, the tmpfs itself went with the worker's mount
namespace) and its sandboxes' memory cgroups (empty, their processes gone).
Each is named `<prefix><pid>-<random>`; `stale` finds those whose process is
gone, so that the next run removes them. Another grader's, still running, are
left alone.
"""
import os
import re
import uuid


def owned_name(prefix):
    """A fresh name for something this process makes: prefix, this process's id, a random part."""
    return f"{prefix}{os.getpid()}-{uuid.uuid4().hex[:12]}"


def stale(folder, prefix):
    """The paths in folder named by owned_name(prefix) in a process that no longer runs."""
    pattern = re.compile(rf"{re.escape(prefix)}(\d+)-[0-9a-f]{{12}}")
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not _running(int(match.group(1))):
            yield path


def _running(pid):
    """Whether process pid exists and is not a zombie (killed, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
