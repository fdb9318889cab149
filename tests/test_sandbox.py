"""The sandbox that runs untrusted notebooks and commands: isolation, limits, and what a hostile submission gets.

The tests that start a Jupyter kernel are marked e2e (a second or a few each);
the isolation checks run a plain command and are fast.
"""
import contextlib
import json
import os
import pathlib
import socket
import sys
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.utils import determine_grade

from autograder.grade.sandbox import cgroups, scratch

from autograder.grade import sandbox
from autograder.course import REPO_ROOT
from autograder.grade.kernel_run import execute_notebook
from autograder.grade.sandbox import Limits, SandboxUnavailable, check_sandbox, run_in_sandbox
from test_caps import SPAWN

SMALL = dict(cell_timeout=2, notebook_timeout=30, memory_mb=1024, max_processes=64, max_output_bytes=10_000)
TEST_CELL = {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "test_after",
                          "points": 3, "schema_version": 3}}


@pytest.fixture
def course(tmp_path):
    """A course folder: the workdir beside the sources, another student's submission and the gradebook."""
    root = tmp_path / "course"
    for secret in ("source/batchnorm/BatchNormalization.ipynb", "submitted/bob/batchnorm/BatchNormalization.ipynb",
                   "gradebook.db"):
        (root / secret).parent.mkdir(parents=True, exist_ok=True)
        (root / secret).write_text("secret")
    (root / "work").mkdir()
    return root


def execute(workdir, *cells, sandbox=True, **limits):
    """Run a notebook made of cells (sources or cells) with small limits."""
    nb = new_notebook(cells=[new_code_cell(cell) if isinstance(cell, str) else cell for cell in cells])
    return execute_notebook(nb, workdir, limits=Limits(**{**SMALL, **limits}), sandbox=sandbox,
                            python_path=(REPO_ROOT,))


def text(cell):
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def errors(cell):
    return [output.ename for output in cell.outputs if output.output_type == "error"]


def alive(marker):
    """Whether a process on this machine carries marker in its name or command line."""
    for proc in pathlib.Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if marker in (proc / "comm").read_text() + (proc / "cmdline").read_bytes().decode("utf-8", "replace"):
                return True
    return False


def probe(course, port):
    """Python source printing, as one JSON line, what code in the sandbox can see, write, reach and import."""
    secrets = [str(p) for p in (course / "source", course / "gradebook.db", course / "submitted" / "bob",
                                REPO_ROOT / "autograder" / "sandbox.py", REPO_ROOT / "source", REPO_ROOT / ".git")]
    python = {pathlib.Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    secrets += [str(p) for p in pathlib.Path.home().iterdir() if not any(p in q.parents or p == q for q in python)]
    outside = ["../escape.txt", str(course / "escape.txt"), str(REPO_ROOT / "escape.txt"), "/etc/escape.txt",
               "/var/tmp/escape.txt"]
    return f"""
import importlib, json, os, socket
def works(action):
    try:
        action()
        return True
    except Exception:
        return False
def write(path):
    with open(path, "w") as file:
        file.write("x")
def connect(address):
    socket.create_connection(address, timeout=2).close()
print(json.dumps({{
    "visible": [p for p in {secrets!r} + ["../source", "../gradebook.db", "../submitted"] if os.path.exists(p)],
    "written": [p for p in {outside!r} if works(lambda: write(p))],
    "own": [p for p in ["mine.txt", "/tmp/mine.txt"] if works(lambda: write(p))],
    "connected": [a for a in [("127.0.0.1", {port}), ("1.1.1.1", 80)] if works(lambda: connect(a))],
    "imports": [m for m in ["assignments", "data_utils", "autograder"] if works(lambda: importlib.import_module(m))],
    "uid": os.getuid(),
    "capabilities": [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")][0],
    "environment": sorted(os.environ),
}}))
"""


@pytest.fixture
def server():
    """A TCP server on the host's loopback: the host reaches it, the sandbox must not."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        yield port


def expect_isolated(seen):
    assert seen["visible"] == []
    assert seen["written"] == []
    assert seen["own"] == ["mine.txt", "/tmp/mine.txt"]
    assert seen["connected"] == []
    assert seen["imports"] == ["assignments", "data_utils"]
    assert seen["uid"] == (sandbox.SANDBOX_USER if os.geteuid() == 0 else os.geteuid())
    assert int(seen["capabilities"], 16) == 0
    assert "AUTOGRADER_SEED_SECRET" not in seen["environment"] and "NBGRADER_EXECUTION" in seen["environment"]


@pytest.fixture
def secret_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SEED_SECRET", "do not leak")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def test_without_bwrap_the_error_says_how_to_install_it_or_opt_out(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    for attempt in (check_sandbox, lambda: run_in_sandbox(["true"], tmp_path)):
        with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap") as raised:
            attempt()
        assert "--no-sandbox" in str(raised.value)


def test_run_in_sandbox_feeds_stdin_and_returns_output_and_status(bwrap, tmp_path):
    result = run_in_sandbox(["sh", "-c", r"cat; printf '\377\376' >&2; exit 3"], tmp_path, stdin=b"round trip\n")
    assert (result.returncode, result.stdout, result.stderr, result.timed_out) == (3, b"round trip\n", b"\xff\xfe",
                                                                                   False)


def test_run_in_sandbox_kills_a_command_past_the_wall_clock(bwrap, tmp_path):
    marker = f"marker-{uuid.uuid4().hex}"
    escape = "import subprocess, sys, time; subprocess.Popen(sys.argv[1:], start_new_session=True); time.sleep(60)"
    command = [sys.executable, "-c", escape, sys.executable, "-c", "import time; time.sleep(60)", marker]
    result = run_in_sandbox(command, tmp_path, limits=Limits(notebook_timeout=1))
    assert result.timed_out and result.returncode is None and result.seconds < 5
    assert not alive(marker)


def test_run_in_sandbox_keeps_at_most_max_output_bytes(bwrap, tmp_path):
    result = run_in_sandbox(["head", "-c", "5000000", "/dev/zero"], tmp_path, limits=Limits(max_output_bytes=1000))
    assert result.returncode == 0 and result.stdout == b"\0" * 1000


def test_a_command_sees_no_course_no_repository_no_home_no_network(bwrap, course, server, secret_environment):
    result = run_in_sandbox([sys.executable, "-c", probe(course, server)], course / "work", python_path=(REPO_ROOT,))
    assert result.returncode == 0, result.stderr
    expect_isolated(json.loads(result.stdout))
    assert (course / "work" / "mine.txt").stat().st_uid == os.geteuid()  # handed back to its owner
    assert not pathlib.Path("/tmp/mine.txt").exists()


@pytest.mark.e2e
def test_a_notebook_sees_the_same_sandbox(bwrap, course, server, secret_environment):
    run = execute(course / "work", probe(course, server))
    assert run.status == "ok", run.message
    expect_isolated(json.loads(text(run.notebook.cells[0])))


@pytest.mark.e2e
@pytest.mark.parametrize("use_sandbox", [True, False], ids=["sandbox", "no-sandbox"])
def test_a_normal_notebook_runs_and_its_outputs_are_right(bwrap, tmp_path, use_sandbox):
    (tmp_path / "data.txt").write_text("from the submission")
    skipped = new_code_cell("print('tagged')", metadata={"tags": ["skip-execution"]})
    run = execute(tmp_path, "x = 6 * 7\nprint(x)", new_markdown_cell("text"), "x / 2", "1 / 0",
                  "from assignments.grading import Rubric\nprint(open('data.txt').read())", skipped,
                  sandbox=use_sandbox)
    assert (run.status, run.message) == ("ok", "5 code cells ran, 1 with an error")
    cells = run.notebook.cells
    assert text(cells[0]) == "42\n" and cells[2].outputs[0].data["text/plain"] == "21.0"
    assert errors(cells[3]) == ["ZeroDivisionError"]
    assert text(cells[4]) == "from the submission\n"
    assert text(cells[5]) == "tagged\n"  # a student's skip tag does not leave a test cell unexecuted
    assert [cell.execution_count for cell in cells if cell.cell_type == "code"] == [1, 2, 3, 4, 5]


@pytest.mark.e2e
def test_an_infinite_loop_is_interrupted_earns_nothing_and_the_rest_runs(bwrap, tmp_path):
    run = execute(tmp_path, "while True:\n    pass", new_code_cell("print('after')", metadata=TEST_CELL))
    assert (run.status, run.message) == ("timeout", "cell 1 ran past 2 s and was interrupted; the other cells ran")
    assert errors(run.notebook.cells[0]) == ["KeyboardInterrupt", "CellTimeout"]
    assert text(run.notebook.cells[1]) == "after\n"


@pytest.mark.e2e
@pytest.mark.parametrize("loop", [
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass",
], ids=["ignores-SIGINT", "catches-KeyboardInterrupt"])
def test_a_loop_that_ignores_the_interrupt_stops_the_notebook(bwrap, tmp_path, loop):
    run = execute(tmp_path, loop, new_code_cell("print('after')", metadata=TEST_CELL), cell_timeout=1)
    assert (run.status, run.message) == ("timeout", "cell 1 ran past 1 s and ignored the interrupt; 1 cell not run")
    assert run.seconds < 10
    assert errors(run.notebook.cells[0]) == ["CellTimeout"]
    test_cell = run.notebook.cells[1]
    assert errors(test_cell) == ["NotExecuted"] and test_cell.execution_count is None
    assert determine_grade(test_cell) == (0, 3)  # nbgrader gives full points to a test cell without output


@pytest.mark.e2e
@pytest.mark.parametrize("bomb", ["huge = bytearray(10 ** 11)",
                                  "chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))"],
                         ids=["one-allocation", "growing"])
def test_a_memory_bomb_ends_with_status_memory(bwrap, tmp_path, bomb):
    run = execute(tmp_path, bomb, "print('after')")
    assert run.status == "memory", run.message
    assert "out of memory (1024 MB)" in run.message
    assert "MemoryError" in json.dumps(run.notebook.cells[0].outputs)


@pytest.mark.e2e
def test_a_file_past_the_size_cap_cannot_be_written(bwrap, tmp_path):
    fill = ("try:\n    with open('big.bin', 'wb') as f:\n        f.write(bytes(3 * 2 ** 20))\n"
            "except OSError as error:\n    print(error.strerror)")
    run = execute(tmp_path, fill, "import os\nprint(os.path.getsize('big.bin'))", max_file_mb=2)
    assert text(run.notebook.cells[0]).strip() == "File too large"
    assert int(text(run.notebook.cells[1])) <= 2 * 2 ** 20


@pytest.mark.e2e
def test_a_fork_bomb_ends_and_leaves_no_process_behind(bwrap, tmp_path):
    marker = uuid.uuid4().hex[:12]  # a process name holds 15 characters
    bomb = (f"import ctypes, os\nctypes.CDLL(None).prctl(15, b'{marker}', 0, 0, 0)\n"
            "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    run = execute(tmp_path, bomb, "print('after')", max_processes=32, cell_timeout=1, notebook_timeout=20)
    assert run.status in ("timeout", "kernel-died"), run.message
    assert run.seconds < 20
    assert not alive(marker)


@pytest.mark.e2e
@pytest.mark.parametrize("death, how", [("import os\nos._exit(1)", "exit status 1"),
                                        ("import ctypes\nctypes.string_at(0)", "killed by SIGSEGV")],
                         ids=["os._exit", "segfault"])
def test_a_dying_kernel_is_detected(bwrap, tmp_path, death, how):
    run = execute(tmp_path, "print('before')", death, "print('after')")
    assert (run.status, run.message) == ("kernel-died", f"the kernel died in cell 2 ({how}); 1 cell not run")
    assert text(run.notebook.cells[0]) == "before\n"
    assert errors(run.notebook.cells[1]) == ["KernelDied"]
    assert errors(run.notebook.cells[2]) == ["NotExecuted"]


@pytest.mark.e2e
def test_student_code_cannot_forge_the_cells_the_runner_reports(bwrap, tmp_path):
    forged = {"index": 2, "execution_count": 3, "outcome": "ran", "outputs": [
        {"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": {"text/plain": "3"}}]}
    forge = f"""
import os, stat
line = {json.dumps(forged)!r} + "\\n"
print(line)  # on stdout: just an output
written = []
for path in [f"/proc/self/fd/{{fd}}" for fd in os.listdir("/proc/self/fd")] + [
        f"/proc/{{os.getppid()}}/fd/{{fd}}" for fd in range(64)]:  # the runner's files
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "a") as file:
                file.write(line)
            written.append(path)
    except OSError:
        pass
print("written", written)"""
    run = execute(tmp_path, forge, "import os\nos._exit(1)", new_code_cell("raise AssertionError", metadata=TEST_CELL))
    assert run.status == "kernel-died", run.message
    assert "written []" in text(run.notebook.cells[0])
    assert errors(run.notebook.cells[2]) == ["NotExecuted"] and determine_grade(run.notebook.cells[2]) == (0, 3)


@pytest.mark.e2e
def test_sys_exit_in_a_cell_is_an_error_not_a_death(bwrap, tmp_path):
    run = execute(tmp_path, "import sys\nsys.exit()", "print('after')")
    assert run.status == "ok", run.message
    assert errors(run.notebook.cells[0]) == ["SystemExit"] and text(run.notebook.cells[1]) == "after\n"


@pytest.mark.e2e
def test_the_notebook_wall_clock_stops_everything(bwrap, tmp_path):
    marker = f"marker-{uuid.uuid4().hex}"
    escape = ("import subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{marker}'], "
              "start_new_session=True)\ntime.sleep(60)")
    run = execute(tmp_path, "print('start')", escape, "print('never')", cell_timeout=60, notebook_timeout=4)
    assert (run.status, run.message) == ("timeout", "the notebook ran past 4 s (stopped in cell 2); 2 cells not run")
    assert run.seconds < 8
    assert [errors(cell) for cell in run.notebook.cells] == [[], ["NotExecuted"], ["NotExecuted"]]
    assert not alive(marker)


@pytest.mark.e2e
def test_megabytes_of_output_are_cut_but_the_score_is_kept(bwrap, tmp_path):
    run = execute(tmp_path, "for _ in range(50):\n    print('x' * 100_000)\n2.5")
    cell = run.notebook.cells[0]
    assert run.status == "ok", run.message
    assert len(text(cell)) < 11_000 and "[output truncated: the cell wrote more than 10000 bytes]" in text(cell)
    assert cell.outputs[-1].data["text/plain"] == "2.5"  # what nbgrader reads as the partial credit


@pytest.mark.e2e
def test_output_that_is_not_utf8_breaks_nothing(bwrap, tmp_path):
    run = execute(tmp_path, "import os, sys\nos.write(1, b'bad \\xff\\xfe bytes\\n')\nprint('lone \\udcff surrogate')")
    assert run.status == "ok", run.message
    assert "bad" in text(run.notebook.cells[0]) and "surrogate" in text(run.notebook.cells[0])
    nbformat.validate(run.notebook)
    nbformat.writes(run.notebook).encode("utf-8")


def test_the_links_and_fifos_a_run_leaves_are_deleted(bwrap, tmp_path):
    (tmp_path / "input.txt").write_text("from the host")
    plant = "ln -s /etc/hostname results.json && mkfifo fifo && mkdir sub && ln -s / sub/root && echo x > mine.txt"
    run = run_in_sandbox(["sh", "-c", plant], tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["input.txt", "mine.txt", "sub"]


def test_a_scratch_folder_holds_the_runs_tmp_and_its_cap_covers_them(bwrap, tmp_path):
    if scratch.unavailable_reason():
        pytest.skip(scratch.unavailable_reason())
    with scratch.scratch_folder(size_mb=4, max_files=100) as space:
        work = space.path / "work"
        work.mkdir()
        fill = "head -c 3145728 /dev/zero > /tmp/a && head -c 3145728 /dev/zero > /dev/shm/b"
        run = run_in_sandbox(["sh", "-c", fill], work, private_tmp=space.path)
        assert run.returncode != 0 and b"No space left" in run.stderr
        assert os.listdir(space.path) == ["work"]  # the run's /tmp and /dev/shm went with it


def test_one_memory_cap_covers_all_the_processes_of_a_sandbox(bwrap, tmp_path):
    if cgroups.unavailable_reason():
        pytest.skip(cgroups.unavailable_reason())
    run = run_in_sandbox([sys.executable, "-c", SPAWN, "3", "120"], tmp_path, limits=Limits(memory_mb=300))
    assert run.returncode == 0 and run.out_of_memory and b"-9" in run.stdout


def test_matplotlib_finds_its_font_list_in_a_sandbox_home_and_does_not_build_it(bwrap, tmp_path):
    if scratch.unavailable_reason():
        pytest.skip(scratch.unavailable_reason())
    check = ("import glob, os; [path] = glob.glob(os.path.expanduser('~/.cache/matplotlib/fontlist-*.json')); "
             "before = os.stat(path).st_mtime_ns; import matplotlib.font_manager; "
             "print(os.stat(path).st_mtime_ns == before)")
    with scratch.scratch_folder(size_mb=64, max_files=100) as space:
        (space.path / "work").mkdir()
        run = run_in_sandbox([sys.executable, "-c", check], space.path / "work", private_tmp=space.path)
    assert (run.returncode, run.stdout, run.stderr) == (0, b"True\n", b"")
