"""Run untrusted code, above all a student's notebook, in a bubblewrap sandbox with limits.

`run_in_sandbox` runs a command in one and returns how it ended;
`sandboxed_process` starts one and hands its pipes to the caller (the
out-of-kernel verdict's driver); autograder/kernel_run.py runs a student's
notebook with them. Inside the sandbox:

- the host's root filesystem, read-only, with every top folder but the system
  ones (/usr, /etc, /bin, /lib, ...) replaced by an empty read-only folder:
  /root, /home, and wherever the course (source/, submitted/, the gradebook) or
  this repository (autograder/) live; read-only again only the Python
  environment, the support packages given in python_path, the readonly_paths
  and, for a notebook, the runner;
- in what it shows, the staff package (STAFF_PACKAGES: the grader and its
  bug catalog) and the libraries the assignment may not use
  (hidden_libraries) covered, wherever they are installed, by empty read-only
  folders whose only file makes `import NAME` raise ModuleNotFoundError as if
  NAME were not installed (`masked_paths`);
- the workdir, read-write, and a private /tmp and /dev/shm: folders of
  private_tmp when the caller gives one (a capped scratch folder, see
  autograder/scratch.py), else tmpfs of at most disk_mb each (in the first case, the home
  folder /tmp holds a copy of matplotlib's font list: font_cache.py);
- new network, pid, ipc, uts and cgroup namespaces (no network, no other
  process visible), no capabilities, a new session, killed with its parent;
- an unprivileged user: nobody (65534) when we are root, else our own user, in
  a user namespace of its own, so that the process cap (RLIMIT_NPROC) counts
  this sandbox's processes only; it, the address-space cap (RLIMIT_AS) and the
  file-size cap (RLIMIT_FSIZE: a write past it fails with EFBIG, since Python
  ignores SIGXFSZ) are set with `prlimit` inside, before the command starts;
- one memory cap, memory_mb, on all its processes together and the tmpfs pages
  they write: a memory cgroup (autograder/cgroups.py) where this machine lets
  us make one; elsewhere only each process's address space is capped.

As root, bwrap sets the sandbox up as root, because bubblewrap 0.8 resolves bind
sources with the permissions of its caller and a Python installed under /root
is not readable by nobody; `setpriv` then drops to nobody, `unshare --user` gives
it its user namespace. (`bwrap --unshare-all` as root would map the sandbox user
to root, which RLIMIT_NPROC does not limit.) The workdir is handed to nobody for
the run and back to its owner after.

After a run the workdir holds only regular files and folders: the links, FIFOs
and sockets the run left there are deleted, so that a host reading a file there
(a file the harness reads after the run) never reads through one to a host file.

`sandbox=False` runs the same command without bwrap: an explicit opt-out for
machines without it. The wall clock, cell timeouts, output, address-space and
memory caps still apply; isolation and the process cap do not.
"""
import contextlib
import dataclasses
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from data_utils import DATASET_VARIABLE
from data_utils.cifar10 import DIR_VARIABLE

from . import cgroups
from ...course import REPO_ROOT
from .font_cache import give_font_list
from .installed import installed_paths
from ..untrusted_files import is_plain, walk_untrusted

SUPPORT_PACKAGES = ("assignments", "data_utils")  # what the notebooks import from this repository
STAFF_PACKAGES = ("autograder",)  # the grader: never inside a sandbox, however it is installed
# What a sandbox shows as the __init__.py of a package it hides (or as the file of a module it hides)
HIDDEN_PACKAGE = pathlib.Path(__file__).with_name("hidden_package.py")
SANDBOX_USER = 65534  # nobody: the sandbox's user when we are root
SYSTEM_FOLDERS = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "tmp", "usr"}
PRIVATE_FOLDERS = {"dev", "proc", "tmp"}  # system folders a sandbox gets its own of, instead of the host's
# Read by the notebooks; every other variable of ours stays out of the sandbox
PASSED_VARIABLES = ("NBGRADER_EXECUTION", DATASET_VARIABLE, DIR_VARIABLE)
MIB = 1 << 20
DRAIN_SECONDS = 1.0  # how long output is read after the process ended
INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap) or pass --no-sandbox to run without isolation"


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one sandboxed run may use."""
    cell_timeout: float = 60.0         # seconds per cell
    notebook_timeout: float = 300.0    # wall clock for the whole run
    memory_mb: int = 2048              # all the sandbox's processes and their tmpfs pages; and each address space
    max_processes: int = 64            # process cap
    max_output_bytes: int = 1_000_000  # per cell; longer stream output is truncated with a notice
    max_file_mb: int = 256             # largest file a process may write (RLIMIT_FSIZE)
    disk_mb: int = 1024                # a submission's scratch folder, /tmp and /dev/shm together
    max_files: int = 10_000            # files and folders in them together


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot start a sandbox here; the message says how to fix it."""


@dataclasses.dataclass
class RunResult:
    """
    How a command ended: returncode None when it was killed at the wall-clock limit;
    out_of_memory True when a process was killed at the memory cap (known only with a memory cgroup).
    """
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float
    out_of_memory: bool = False


def check_sandbox():
    """Raise SandboxUnavailable when bwrap is missing or cannot start a sandbox here."""
    with tempfile.TemporaryDirectory() as scratch:
        result = run_in_sandbox(["true"], scratch, limits=Limits(notebook_timeout=30))
    if result.returncode != 0:
        raise SandboxUnavailable(f"bwrap cannot start a sandbox here ({last_line(result.stderr)}); {INSTALL_HINT}")


def run_in_sandbox(command, workdir, *, limits=Limits(), sandbox=True, stdin=b"", readonly_paths=(), python_path=(),
                   private_tmp=None, files=(), pass_fds=(), hidden_libraries=()):
    """
    Run a command in a sandbox and return how it ended.

    Inputs:
    - command: argv list, run with workdir as its working directory
    - workdir: Folder exposed read-write (the only writable place besides a private /tmp)
    - limits: Limits; the wall clock is limits.notebook_timeout (the whole process group is killed)
    - sandbox: False runs the command without bwrap (see the module docstring)
    - stdin: Bytes fed to the command
    - readonly_paths: Host paths exposed read-only at the same path
    - python_path: Folders put on PYTHONPATH and exposed read-only; of this
      repository only its support packages (SUPPORT_PACKAGES) are exposed
    - private_tmp: A folder (on a capped file system) where the run's /tmp and
      /dev/shm are made, and removed after; None for tmpfs of limits.disk_mb each
    - files: Host files bound read-only inside, ((host file, path inside), ...)
    - pass_fds: File descriptors the command inherits
    - hidden_libraries: Import names of the libraries the command may not see (e.g. "torch"), as the
      staff package; importing one raises ModuleNotFoundError (see masked_paths)

    Returns a RunResult, holding at most limits.max_output_bytes of stdout and of stderr.
    Raises SandboxUnavailable when bwrap is not installed, ValueError for a
    workdir, readonly path or python_path folder that does not exist.
    """
    started = time.monotonic()
    with sandboxed_process(command, workdir, limits=limits, sandbox=sandbox, readonly_paths=readonly_paths,
                           python_path=python_path, private_tmp=private_tmp, files=files,
                           pass_fds=pass_fds, hidden_libraries=hidden_libraries) as (process, group):
        stdout, stderr, timed_out = _communicate(process, stdin, limits)
        out_of_memory = group is not None and group.out_of_memory()
    return RunResult(None if timed_out else process.returncode, stdout, stderr, timed_out,
                     time.monotonic() - started, out_of_memory)


@contextlib.contextmanager
def sandboxed_process(command, workdir, *, limits=Limits(), sandbox=True, readonly_paths=(), python_path=(),
                      private_tmp=None, files=(), pass_fds=(), stderr=subprocess.PIPE, hidden_libraries=()):
    """
    Start a command in a sandbox and yield (its Popen, its memory cgroup or None) while it runs.

    The Popen's stdin, stdout (and stderr, unless given) are pipes for the
    caller. On leaving, the whole process group is killed, the workdir cleaned
    and the private /tmp removed. Inputs as run_in_sandbox; files binds host
    files at paths inside ((host file, path inside), ...).
    """
    workdir = _existing(workdir)
    packages, pythonpath = _python_path(python_path)
    with contextlib.ExitStack() as stack:  # left in reverse: the group's processes killed, workdir cleaned, /tmp gone
        tmp = stack.enter_context(_private_folders(private_tmp))
        if sandbox:
            home = "/tmp"
            exposed = [*_python_prefixes(), *packages, *map(_existing, readonly_paths)]
            masked = masked_paths(hidden_libraries, exposed)
            prefix = _sandbox_command(workdir, exposed, masked, files, limits, tmp)
            stack.enter_context(_lent(workdir, SANDBOX_USER if os.geteuid() == 0 else None))
        else:
            home = tmp[0] if tmp else stack.enter_context(tempfile.TemporaryDirectory(prefix="sandbox-home-"))
            prefix = []
            command = [_unsandboxed(part, files) for part in command]
        if tmp or not sandbox:  # a home on the host (a sandbox's own tmpfs cannot be filled from here)
            give_font_list(tmp[0] if sandbox else home)
        group = stack.enter_context(cgroups.memory_group(limits.memory_mb * MIB))
        process = subprocess.Popen(
            [*(group.enter_command() if group else []), *prefix, *_caps(limits, sandbox), *command], cwd=workdir,
            env=_environment(home, pythonpath), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=stderr, pass_fds=pass_fds, start_new_session=True)
        stack.callback(_kill_group, process)
        yield process, group


def _unsandboxed(part, files):
    """A command's argument with a path bound inside the sandbox replaced by its host file (no sandbox, no binds)."""
    return next((str(host) for host, inside in files if str(inside) == str(part)), part)


def _kill_group(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def _private_folders(parent):
    """(tmp, shm): two fresh folders in parent for a run's /tmp and /dev/shm, removed after; None without parent."""
    if parent is None:
        yield None
        return
    run = pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=parent))
    try:
        folders = (run / "tmp", run / "shm")
        for folder in folders:
            folder.mkdir()
            folder.chmod(0o1777)
        yield folders
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _sandbox_command(workdir, exposed, masked, files, limits, tmp):
    """The command line that starts a sandbox; the command to run in it (in workdir) comes after."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap is not installed (no bwrap on PATH): {INSTALL_HINT}")
    user, inside = _identity(workdir)
    return [bwrap, *user, "--die-with-parent", "--new-session",
            *_mounts(workdir, exposed, masked, files, limits, tmp), *inside]


def _identity(workdir):
    """(bwrap options, command prefix run inside) that make the sandboxed process unprivileged, in workdir."""
    if os.geteuid() != 0:
        return ["--unshare-all", "--cap-drop", "ALL", "--chdir", str(workdir)], []
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    # setpriv needs these three to become nobody; it loses them (and every other) in doing so
    capabilities = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                    "--cap-add", "CAP_SETPCAP"]
    # the workdir is nobody's for the run: entered as nobody (root without capabilities may not)
    drop = ["setpriv", f"--reuid={SANDBOX_USER}", f"--regid={SANDBOX_USER}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--",
            "unshare", "--user", "--map-current-user", f"--wd={workdir}", "--"]
    return namespaces + capabilities, drop


def masked_paths(hidden_libraries, exposed):
    """
    The installed packages a sandbox shows as not installed: what it covers with its HIDDEN_PACKAGE.

    Inputs:
    - hidden_libraries: Import names of the libraries the assignment may not use (e.g. "torch")
    - exposed: The folders the sandbox exposes read-only besides the system folders
      (the Python environment, the support packages, readonly paths)

    Returns the sorted resolved paths, for the staff package (STAFF_PACKAGES) and each
    hidden library, of each copy of its package folder or module file and of its
    distributions' .dist-info or .egg-info (installed.installed_paths: editable
    installs, site-packages, PYTHONPATH alike), that the sandbox would show: those in
    a system folder shared with the host (such as /usr/local/lib/python3.11/site-packages)
    or inside an exposed folder. The others, e.g. this repository's autograder/ in an
    editable install, are hidden already.
    """
    found = installed_paths((*STAFF_PACKAGES, *hidden_libraries))
    return sorted(path for path in found if _shown(path, [pathlib.Path(folder) for folder in exposed]))


def _shown(path, exposed):
    """Whether a sandbox shows the absolute path: in a system folder shared with the host, or inside an exposed one."""
    top = path.parts[1] if len(path.parts) > 1 else ""
    return top in SYSTEM_FOLDERS - PRIVATE_FOLDERS or any(folder == path or folder in path.parents
                                                           for folder in exposed)


def _mounts(workdir, exposed, masked, files, limits, tmp):
    """
    bwrap's mounts: read-only root, private /tmp and /dev/shm, hidden top folders, what is exposed
    again read-only and the workdir, then the masked packages covered.
    """
    hidden = [f"/{name}" for name in sorted(os.listdir("/"))
              if name not in SYSTEM_FOLDERS and os.path.isdir(f"/{name}") and not os.path.islink(f"/{name}")]
    options = ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    for index, private in enumerate(("/tmp", "/dev/shm")):
        if tmp:
            options += ["--bind", str(tmp[index]), private]
        else:
            options += ["--perms", "1777", "--size", str(limits.disk_mb * MIB), "--tmpfs", private]
    for folder in hidden:
        options += ["--tmpfs", folder]
    binds = [*(("--ro-bind", path, path) for path in sorted(set(exposed))),
             *(("--ro-bind", source, target) for source, target in files), ("--bind", workdir, workdir)]
    made = set()
    for option, source, target in binds:
        # the folders leading to a bind: made by bwrap in a hidden tmpfs, they must let nobody through
        for parent in reversed(pathlib.Path(target).parents[:-1]):
            if parent not in made:
                made.add(parent)
                options += ["--perms", "0755", "--dir", str(parent)]
        options += [option, str(source), str(target)]
    for path in masked:  # a folder becomes an empty one holding HIDDEN_PACKAGE as __init__.py; a file, HIDDEN_PACKAGE
        options += ["--tmpfs", str(path), "--ro-bind", str(HIDDEN_PACKAGE), str(path / "__init__.py")] \
            if path.is_dir() else ["--ro-bind", str(HIDDEN_PACKAGE), str(path)]
    for folder in [*hidden, *(str(path) for path in masked if path.is_dir())]:
        options += ["--remount-ro", folder]
    return options


def _caps(limits, sandbox):
    """prlimit, run inside the sandbox: RLIMIT_NPROC there counts the sandbox's user namespace only."""
    caps = [f"--as={limits.memory_mb * MIB}", f"--fsize={limits.max_file_mb * MIB}", "--core=0"]
    if sandbox:
        caps.append(f"--nproc={limits.max_processes}")
    return ["prlimit", *caps, "--"]


def _python_prefixes():
    """The folders of this Python environment: the virtualenv and the interpreter it was made from."""
    return sorted({pathlib.Path(p).resolve() for p in (sys.prefix, sys.exec_prefix, sys.base_prefix,
                                                       sys.base_exec_prefix)})


def _python_path(folders):
    """(folders to expose, PYTHONPATH entries) for python_path: of this repository, only its support packages."""
    exposed, pythonpath = [], []
    for folder in map(_existing, folders):
        pythonpath.append(folder)
        exposed += [folder / name for name in SUPPORT_PACKAGES] if folder == REPO_ROOT.resolve() else [folder]
    return exposed, pythonpath


def _existing(path):
    path = pathlib.Path(path).resolve()
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    return path


def _environment(home, pythonpath):
    """
    The sandbox's environment: nothing of ours but PASSED_VARIABLES, so no secret leaks in.
    BLAS runs one thread: sandboxes run side by side, and every thread's buffers count against the memory cap.
    """
    env = {"HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "PYTHONPATH": os.pathsep.join(map(str, pythonpath)),
           **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")}
    env.update({name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ})
    return env


@contextlib.contextmanager
def _lent(workdir, user):
    """
    Hand workdir's files to user (None: leave them to us) for the run; after it,
    delete what is neither a regular file nor a folder and hand the rest back to workdir's owner.
    """
    owner = workdir.stat()
    if user is not None:
        _chown_tree(workdir, user, user)
    try:
        yield
    finally:
        _chown_tree(workdir, owner.st_uid, owner.st_gid, keep_plain_only=True)


def _chown_tree(folder, uid, gid, keep_plain_only=False):
    """chown folder and everything in it, never following a link; keep_plain_only: delete links and special files."""
    os.chown(folder, uid, gid)
    for _, status, dir_fd, name in walk_untrusted(folder):
        if keep_plain_only and not is_plain(status):
            os.unlink(name, dir_fd=dir_fd)
        elif (status.st_uid, status.st_gid) != (uid, gid):
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)


def _communicate(process, stdin, limits):
    """
    Feed stdin, keep the first limits.max_output_bytes of stdout and of stderr,
    and wait for the process up to limits.notebook_timeout seconds, then kill its process group.

    Returns (stdout, stderr, timed_out).
    """
    kept = (bytearray(), bytearray())
    readers = [threading.Thread(target=_keep, args=(stream, limits.max_output_bytes, buffer), daemon=True)
               for stream, buffer in zip((process.stdout, process.stderr), kept)]
    for thread in [threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True), *readers]:
        thread.start()
    try:
        process.wait(limits.notebook_timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        timed_out = True
    for thread in readers:
        thread.join(DRAIN_SECONDS)
    return bytes(kept[0]), bytes(kept[1]), timed_out


def _feed(stream, data):
    """Write data to the process's stdin and close it; a process that stops reading early is fine."""
    with contextlib.suppress(BrokenPipeError), stream:
        stream.write(data)


def _keep(stream, cap, buffer):
    """Read stream to its end, keeping its first cap bytes in buffer."""
    with stream:
        for chunk in iter(lambda: stream.read1(1 << 16), b""):
            buffer += chunk[:cap - len(buffer)]


def last_line(output):
    """The last line of a process's output (bytes), cut to 300 characters; 'no message' when empty."""
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:300] if lines else "no message"
