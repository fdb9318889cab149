"""One memory cap on a group of processes: a memory cgroup (v2 or v1, whichever this machine offers).

RLIMIT_AS caps each process on its own: 60 processes may use 60 times the cap,
and the pages of a RAM-backed /tmp count against none of them. A memory cgroup
caps what its processes use together: their memory, the tmpfs pages they write
(a sandbox's /tmp, /dev/shm and scratch folder) and the kernel's memory for
their files. Past the cap the kernel's OOM killer kills a process of the group,
never one outside it.

Groups are made below the cgroup this process is in, where root (or a user
the cgroup was delegated to) may make them. `unavailable_reason()` says why
not, on machines where that fails.
"""
import contextlib
import dataclasses
import functools
import os
import pathlib
import signal
import time
import uuid

from .leftovers import owned_name, stale

PREFIX = "autograder-"
CLEANUP_SECONDS = 5.0  # how long a group's last processes get to exit after SIGKILL before it is left behind
SHELL_ENTER = 'echo $$ > "$0" && exec "$@"'  # sh -c: join the group named by $0, then become the command


class Unavailable(RuntimeError):
    """No memory cgroup can be made here; the message says why."""


@dataclasses.dataclass(frozen=True)
class Hierarchy:
    """Where groups are made: below parent (a folder of a cgroup file system), cgroup version 1 or 2."""
    parent: pathlib.Path
    version: int

    @property
    def files(self):
        """{role: file name} of this version's memory controller."""
        if self.version == 2:
            return {"limit": "memory.max", "swap": "memory.swap.max", "events": "memory.events"}
        return {"limit": "memory.limit_in_bytes", "swap": "memory.memsw.limit_in_bytes",
                "events": "memory.oom_control"}


@dataclasses.dataclass(frozen=True)
class MemoryGroup:
    """One memory cgroup: start a command in it with enter_command(), ask out_of_memory() after."""
    path: pathlib.Path
    hierarchy: Hierarchy

    def enter_command(self):
        """A command prefix that moves the process into this group before it runs the rest of the command line."""
        return ["sh", "-c", SHELL_ENTER, str(self.path / "cgroup.procs")]

    def out_of_memory(self):
        """Whether the OOM killer killed a process of this group (the group reached its cap)."""
        events = (self.path / self.hierarchy.files["events"]).read_text().split("\n")
        return any(line.split() and line.split()[0] == "oom_kill" and int(line.split()[1]) > 0 for line in events)


def find_hierarchy(proc_cgroup="/proc/self/cgroup", mountinfo="/proc/self/mountinfo"):
    """
    The Hierarchy where this process may make memory groups.

    Inputs:
    - proc_cgroup, mountinfo: The files to read (this process's by default)

    Returns a Hierarchy whose parent is this process's own memory cgroup, a
    group made there and removed again as a probe. Raises Unavailable.
    """
    memberships = {}
    for line in pathlib.Path(proc_cgroup).read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        memberships[controllers] = path
    mounts = _cgroup_mounts(mountinfo)
    v1 = next((c for c in memberships if "memory" in c.split(",")), None)
    if v1 is not None and "memory" in mounts:
        parent, version = _inside(mounts["memory"], memberships[v1]), 1
    elif "" in memberships and "cgroup2" in mounts:
        parent, version = _inside(mounts["cgroup2"], memberships[""]), 2
        _enable_v2_memory(parent)
    else:
        raise Unavailable("this machine mounts no memory cgroup controller")
    probe = parent / f"autograder-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as error:
        raise Unavailable(f"cannot make a cgroup in {parent} ({error.strerror})") from None
    return Hierarchy(parent, version)


def _cgroup_mounts(mountinfo):
    """{'memory': (mount point, mount root)} for a v1 memory controller, {'cgroup2': ...} for the v2 hierarchy."""
    mounts = {}
    for line in pathlib.Path(mountinfo).read_text().splitlines():
        fields, _, tail = line.partition(" - ")
        parts, (fstype, _, options) = fields.split(), tail.split()[:3]
        point = (pathlib.Path(parts[4].replace("\\040", " ")), parts[3])
        if fstype == "cgroup" and "memory" in options.split(","):
            mounts["memory"] = point
        elif fstype == "cgroup2":
            mounts["cgroup2"] = point
    return mounts


def _inside(mount, path):
    """The folder of cgroup `path` (as /proc/self/cgroup names it) under a mount (point, root)."""
    point, root = mount
    relative = os.path.relpath(path, root) if path.startswith(root) else path.lstrip("/")
    return point / relative if relative != "." else point


def _enable_v2_memory(parent):
    """Let groups below parent have the memory controller (cgroup v2 gives a child only what its parent enables)."""
    if "memory" not in (parent / "cgroup.controllers").read_text().split():
        raise Unavailable(f"the cgroup v2 group {parent} has no memory controller")
    control = parent / "cgroup.subtree_control"
    if "memory" not in control.read_text().split():
        try:
            control.write_text("+memory")
        except OSError as error:
            raise Unavailable(f"cannot enable the memory controller below {parent} ({error.strerror})") from None


@functools.cache
def _hierarchy():
    try:
        return find_hierarchy(), None
    except (Unavailable, OSError, ValueError) as error:
        return None, str(error)


def unavailable_reason():
    """None when memory groups can be made here, else one line saying why not."""
    return _hierarchy()[1]


@contextlib.contextmanager
def memory_group(limit_bytes, hierarchy=None):
    """
    A new memory cgroup capped at limit_bytes (swap included), removed on exit.

    Inputs:
    - limit_bytes: The cap on the group's processes together
    - hierarchy: Where to make it (default: this process's own memory cgroup, see find_hierarchy)

    Yields a MemoryGroup, or None where this machine offers no memory cgroup
    (unavailable_reason() says why). On exit every process still in the group is
    killed and the group removed (left behind when its processes do not exit in
    CLEANUP_SECONDS).
    """
    hierarchy = hierarchy or _hierarchy()[0]
    if hierarchy is None:
        yield None
        return
    group = MemoryGroup(hierarchy.parent / owned_name(PREFIX), hierarchy)
    group.path.mkdir()
    try:
        (group.path / hierarchy.files["limit"]).write_text(str(limit_bytes))
        swap = group.path / hierarchy.files["swap"]
        if swap.exists():  # without swap accounting there is no swap to cap
            swap.write_text("0" if hierarchy.version == 2 else str(limit_bytes))
        yield group
    finally:
        _remove(group.path)


def remove_stale(hierarchy=None):
    """
    Remove the groups that processes killed before they could (see autograder/leftovers.py). A process
    still in one is an orphan of a killed worker (a sandbox that started as its worker died, before it
    could ask to die with it): nobody reads its results, so it is killed first.
    """
    hierarchy = hierarchy or _hierarchy()[0]
    for path in stale(hierarchy.parent, PREFIX) if hierarchy else ():
        with contextlib.suppress(OSError):  # gone meanwhile (another run removed it)
            _remove(path)


def _remove(path):
    """Kill the processes left in a group, then remove it."""
    deadline = time.monotonic() + CLEANUP_SECONDS
    while True:
        pids = [int(pid) for pid in (path / "cgroup.procs").read_text().split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return
        except OSError:
            if time.monotonic() > deadline:
                return  # an empty group left behind costs nothing; a grading run must not stop for it
            time.sleep(0.05)
