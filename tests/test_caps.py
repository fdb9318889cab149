"""Whole-submission caps: a memory cgroup across processes, a scratch tmpfs with a size and a file count.

The tests that need the machine's cgroups or the right to mount are skipped
where it has neither; the cgroup lookup itself runs on fake file systems.
"""
import os
import subprocess
import sys

import pytest

from autograder.grade.sandbox import cgroups, scratch
from autograder.grade.sandbox.cgroups import Hierarchy, Unavailable, find_hierarchy, memory_group
from autograder.grade.sandbox import Limits
from autograder.grade.workers import unenforced_caps

MIB = 1 << 20
# python -c HOG MB: take MB megabytes (every page touched), say so, and hold them until stdin closes
HOG = ("import sys; b = bytearray(int(sys.argv[1]) << 20); b[::4096] = bytes(len(b) // 4096); print(flush=True); "
       "sys.stdin.read()")
# python -c SPAWN N MB: N processes that hold MB megabytes all at once; prints their exit statuses
SPAWN = f"""
import subprocess, sys
children = [subprocess.Popen([sys.executable, "-c", {HOG!r}, sys.argv[2]], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE) for _ in range(int(sys.argv[1]))]
for child in children:
    child.stdout.readline()  # it holds its megabytes, or was killed
for child in children:
    child.stdin.close()
print([child.wait() for child in children])
"""


@pytest.fixture
def cgroup_hierarchy():
    if cgroups.unavailable_reason():
        pytest.skip(cgroups.unavailable_reason())
    return cgroups.find_hierarchy()


@pytest.fixture
def mounting():
    if scratch.unavailable_reason():
        pytest.skip(scratch.unavailable_reason())


def fake_machine(tmp_path, cgroup_lines, mounts):
    """(/proc/self/cgroup, /proc/self/mountinfo) files describing a machine whose cgroup mounts are under tmp_path."""
    proc_cgroup, mountinfo = tmp_path / "cgroup", tmp_path / "mountinfo"
    proc_cgroup.write_text("".join(f"{line}\n" for line in cgroup_lines))
    mountinfo.write_text("".join(f"30 1 0:26 {root} {tmp_path / point} rw shared:1 - {fstype} cgroup {options}\n"
                                 for point, root, fstype, options in mounts))
    return proc_cgroup, mountinfo


def test_a_v1_memory_controller_is_found_at_this_process_group(tmp_path):
    (tmp_path / "memory" / "jobs" / "a").mkdir(parents=True)
    files = fake_machine(tmp_path, ["4:memory:/jobs/a", "1:cpu:/", "0::/"],
                         [("memory", "/", "cgroup", "rw,memory"), ("unified", "/", "cgroup2", "rw")])
    assert find_hierarchy(*files) == Hierarchy(tmp_path / "memory" / "jobs" / "a", 1)


def test_a_v2_hierarchy_gets_the_memory_controller_enabled_below_this_process_group(tmp_path):
    group = tmp_path / "cg" / "grader.slice"
    group.mkdir(parents=True)
    (group / "cgroup.controllers").write_text("cpu io memory pids\n")
    (group / "cgroup.subtree_control").write_text("cpu\n")
    files = fake_machine(tmp_path, ["0::/grader.slice"], [("cg", "/", "cgroup2", "rw")])
    assert find_hierarchy(*files) == Hierarchy(group, 2)
    assert (group / "cgroup.subtree_control").read_text() == "+memory"


def test_without_a_memory_controller_the_reason_is_given(tmp_path):
    (tmp_path / "cg").mkdir()
    (tmp_path / "cg" / "cgroup.controllers").write_text("hugetlb\n")
    files = fake_machine(tmp_path, ["0::/"], [("cg", "/", "cgroup2", "rw")])
    with pytest.raises(Unavailable, match="has no memory controller"):
        find_hierarchy(*files)
    files = fake_machine(tmp_path, ["1:cpu:/"], [("cpu", "/", "cgroup", "rw,cpu")])
    with pytest.raises(Unavailable, match="no memory cgroup controller"):
        find_hierarchy(*files)


def test_one_cap_holds_for_all_the_processes_of_a_group(cgroup_hierarchy):
    with memory_group(300 * MIB, cgroup_hierarchy) as group:
        # three processes of 150 MB: each within the cap, together past it
        done = subprocess.run([*group.enter_command(), sys.executable, "-c", SPAWN, "3", "150"],
                              capture_output=True, text=True)
        assert "-9" in done.stdout and group.out_of_memory()
    assert not group.path.exists()
    with memory_group(300 * MIB, cgroup_hierarchy) as group:
        assert subprocess.run([*group.enter_command(), sys.executable, "-c", HOG, "150"], input=b"",
                              capture_output=True).returncode == 0
        assert not group.out_of_memory()


def test_processes_left_in_a_group_are_killed_with_it(cgroup_hierarchy):
    with memory_group(100 * MIB, cgroup_hierarchy) as group:
        left = subprocess.Popen([*group.enter_command(), "sleep", "600"], start_new_session=True)
        while str(left.pid) not in (group.path / "cgroup.procs").read_text().split():
            assert left.poll() is None
    assert left.wait() == -9


def test_a_scratch_folder_caps_its_total_size_and_file_count(mounting):
    with scratch.scratch_folder(size_mb=2, max_files=20) as space:
        assert space.capped
        with pytest.raises(OSError, match="No space left"):
            (space.path / "big").write_bytes(bytes(3 * MIB))
        (space.path / "big").unlink()
        with pytest.raises(OSError, match="No space left"):
            for index in range(100):
                (space.path / f"empty-{index}").touch()
        assert index < 20
    assert not space.path.exists()


# python -c MOUNT_AND_HOLD: mount a scratch folder in a mount namespace of its own, print it, wait to be killed
MOUNT_AND_HOLD = """
import os, sys
from autograder.grade.sandbox import scratch
scratch.private_mounts()
folder = scratch.scratch_folder(size_mb=1, max_files=10)  # entered, never left
space = folder.__enter__()
print(space.path, space.capped, os.path.ismount(space.path), flush=True)
sys.stdin.read()
"""


def test_a_worker_mounts_in_its_own_namespace_so_its_mounts_go_with_it(mounting):
    worker = subprocess.Popen([sys.executable, "-c", MOUNT_AND_HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    path, capped, mounted = worker.stdout.readline().split()
    assert (capped, mounted) == ("True", "True")
    assert not os.path.ismount(path)  # never seen by the host
    worker.kill()  # never unmounted: the mount goes with the namespace
    worker.wait()
    os.rmdir(path)


def test_each_cap_the_machine_cannot_enforce_is_one_line_saying_what_is_capped_instead(monkeypatch):
    monkeypatch.setattr(cgroups, "unavailable_reason", lambda: "no cgroup here")
    monkeypatch.setattr(scratch, "unavailable_reason", lambda: "cannot mount a tmpfs (Operation not permitted)")
    assert unenforced_caps(Limits(), use_sandbox=False) == [
        "memory: each process is capped at 2048 MB, but not a submission's processes together nor its /tmp "
        "(no cgroup here)",
        "disk: each file is capped at 256 MB, but not a submission's files together nor their number "
        "(cannot mount a tmpfs (Operation not permitted))",
        "isolation and the process cap: none (--no-sandbox)"]
    monkeypatch.setattr(cgroups, "unavailable_reason", lambda: None)
    monkeypatch.setattr(scratch, "unavailable_reason", lambda: None)
    assert unenforced_caps(Limits(), use_sandbox=True) == []


def test_a_killed_workers_group_is_removed_with_the_orphan_still_in_it(cgroup_hierarchy):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    group = cgroup_hierarchy.parent / f"{cgroups.PREFIX}{gone.stdout.strip()}-0123456789ab"
    group.mkdir()
    orphan = subprocess.Popen(["sh", "-c", cgroups.SHELL_ENTER, str(group / "cgroup.procs"), "sleep", "600"],
                              start_new_session=True)
    while str(orphan.pid) not in (group / "cgroup.procs").read_text().split():
        assert orphan.poll() is None
    cgroups.remove_stale(cgroup_hierarchy)
    assert orphan.wait() == -9
    assert not group.exists()
