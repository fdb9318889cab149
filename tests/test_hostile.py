"""No submission can stop, starve or escape a grading run (issue 14).

One run of `python -m autograder grade` (feedback and export included) on
mlp_batchnorm, the fastest assignment, with two workers: the correct
submission and one hostile submission per case. While it runs, a sampler in
this process keeps the host's lowest available memory and free disk. Each
case's test checks its outcome; `pytest -s` prints the table of every case's
status, score, notebook seconds and message, and the measured lows.

The fork-and-allocate bomb runs only where a memory cgroup caps it, and the
disk fillers only where the scratch folder is a capped tmpfs: elsewhere they
would take the host down, which is what `grade` warns of at its start.
"""
import copy
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.grade.sandbox import cgroups, scratch
from autograder.examples import BLANK, CORRECT, example_notebooks
from autograder.grade.coordinator import read_marker
from autograder.grade.sandbox.leftovers import stale
from autograder.reports.scores import score_table
from conftest import build_course

pytestmark = pytest.mark.e2e
ASSIGNMENT, NOTEBOOK = "mlp_batchnorm", "MLPBatchNorm.ipynb"
GIB = 1 << 30
MEMORY_MARGIN = 4 * GIB  # the host's available memory must never fall below this
DISK_SPENT = 1 * GIB     # nor its free disk fall by more than this while grading
SAMPLE_SECONDS = 0.05

FORK_AND_ALLOCATE = """
import subprocess, sys
hold = "b = bytearray(1536 << 20); b[::4096] = bytes(len(b) // 4096); import time; time.sleep(2)"
children = []
try:
    for _ in range(60):  # 90 GB asked for
        children.append(subprocess.Popen([sys.executable, "-c", hold]))
except OSError as error:
    print("no more processes:", error.strerror)
print(len(children), "children,", sum(child.wait() != 0 for child in children), "killed")
"""
MANY_BIG_FILES = """
import os
written = 0
try:
    for index in range(200):  # 100 GB asked for, in the working folder and in /tmp
        for folder in (".", "/tmp"):
            with open(os.path.join(folder, f"big-{index}.bin"), "wb") as file:
                for _ in range(255):  # just under the 256 MB cap of one file
                    file.write(bytes(1 << 20))
            written += 1
except OSError as error:
    print("stopped:", error.strerror, "after", written, "files of 255 MB")
"""
MILLION_EMPTY_FILES = """
made = 0
try:
    for index in range(10 ** 6):
        open(f"empty-{index}", "w").close()
        made += 1
except OSError as error:
    print("stopped:", error.strerror, "after", made, "files")
"""
LOOK_THROUGH_LINKS = """
import os
for name in ("results.json", "data"):
    print(name, os.path.lexists(name) and (open(name).read() if os.path.isfile(name) else os.listdir(name)))
"""
# appended to a solution cell, so that it also runs in the sandboxed driver that answers the judge's observe()
# requests: it writes made-up answers into every pipe it finds there
FORGE_DRIVER_ANSWERS = """
import os, stat, struct, sys
if os.path.basename(sys.argv[0]) == "observe_driver.py":
    forged = b'{"ok": true, "value": "{\\"float\\": \\"nan\\"}", "rng": "null"}'
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">Q", len(forged)) + forged + b"garbage")
        except OSError:
            pass
"""


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _with_cell(nb, source):
    """A copy of nb with a code cell of the student's own after the setup cell."""
    nb = copy.deepcopy(nb)
    nb.cells.insert(nb.cells.index(_cell(nb, "setup")) + 1, new_code_cell(source))
    return nb


def _lone_surrogate(nb, cell_type):
    """nb's JSON with a lone surrogate (the escape \\ud83d) in the first cell of cell_type that is a solution or text."""
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb["cells"] if c["cell_type"] == cell_type
                and (cell_type == "markdown" or c["metadata"].get("nbgrader", {}).get("solution")))
    cell["source"] += "\n# \ud83d" if cell_type == "code" else "\n\ud83d"
    return json.dumps(nb).encode()  # json escapes it: the file is ASCII, the surrogate comes back when parsed


def _wrong_metadata(nb):
    nb = copy.deepcopy(nb)
    _cell(nb, "answer_q1").metadata.nbgrader = "a string where nbgrader expects a dict"
    nb.cells.insert(2, nbformat.from_dict({"cell_type": "code", "source": "x = 1", "outputs": [], "execution_count": None,
                                           "metadata": {"nbgrader": 7, "tags": "not a list"}}))
    return json.dumps(nb).encode()


def _huge(nb):
    nb = copy.deepcopy(nb)
    nb.cells[0].source += "\n" + "x" * (200 << 20)
    return nbformat.writes(nb).encode()


def scenarios(course, secret):
    """{student: its submitted folder's files {relative path: bytes, or a Path for a symbolic link to it}}; None: a link."""
    examples = example_notebooks(course, ASSIGNMENT)
    correct, blank = examples[CORRECT][NOTEBOOK], examples[BLANK][NOTEBOOK]
    written = lambda nb: nbformat.writes(nb).encode()
    forger = copy.deepcopy(correct)
    _cell(forger, "answer_q1").source += FORGE_DRIVER_ANSWERS
    cases = {
        "lone-surrogate-code": {NOTEBOOK: _lone_surrogate(correct, "code")},
        "lone-surrogate-markdown": {NOTEBOOK: _lone_surrogate(correct, "markdown")},
        "wrong-metadata-types": {NOTEBOOK: _wrong_metadata(correct)},
        "huge-notebook": {NOTEBOOK: _huge(correct)},
        "linked-folder": None,
        "links-inside": {NOTEBOOK: written(_with_cell(correct, LOOK_THROUGH_LINKS)), "results.json": secret,
                         "data": secret.parent},
        "notebook-is-a-folder": {f"{NOTEBOOK}/inside.txt": b"a folder where the notebook belongs"},
        "million-empty-files": {NOTEBOOK: written(_with_cell(blank, MILLION_EMPTY_FILES))},
        "forged-driver-answers": {NOTEBOOK: written(forger)},
    }
    if not cgroups.unavailable_reason():
        cases["fork-and-allocate"] = {NOTEBOOK: written(_with_cell(blank, FORK_AND_ALLOCATE))}
    if not scratch.unavailable_reason():
        cases["many-big-files"] = {NOTEBOOK: written(_with_cell(blank, MANY_BIG_FILES))}
    return cases


def submit(course, student, files):
    folder = course / "submitted" / student / ASSIGNMENT
    if files is None:
        folder.parent.mkdir(parents=True)
        folder.symlink_to(course / "submitted" / CORRECT / ASSIGNMENT)
        return
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pathlib.Path):
            (folder / relative).symlink_to(content)
        else:
            (folder / relative).write_bytes(content)


class HostSampler(threading.Thread):
    """Keeps the lowest MemAvailable of the host and the lowest free bytes of the disk holding `path`."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stopped = path, threading.Event()
        self.lowest_memory = self.lowest_disk = self.start_disk = float("inf")
        self.sample()
        self.start_disk = self.lowest_disk

    def sample(self):
        with open("/proc/meminfo") as meminfo:
            available = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
        disk = os.statvfs(self.path)
        self.lowest_memory = min(self.lowest_memory, available)
        self.lowest_disk = min(self.lowest_disk, disk.f_bavail * disk.f_frsize)

    def run(self):
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.sample()


def grade(course):
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course-dir", str(course), "--workers", "2"]
    return subprocess.run(command, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course, secret, the grading run's output, the sampler, seconds, per-student markers, the score table."""
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "host" / "secret.json"
    secret.parent.mkdir()
    secret.write_text(json.dumps({"protocol": 1, "program": [], "calls": {}, "secret": f"HOST-{uuid.uuid4().hex}"}))
    course = build_course(root / "course", {CORRECT}, ASSIGNMENT)
    cases = scenarios(course, secret)
    for student, files in cases.items():
        submit(course, student, files)
    sampler = HostSampler(course)
    sampler.start()
    started = time.monotonic()
    done = grade(course)
    seconds = time.monotonic() - started
    sampler.stopped.set()
    sampler.join()
    markers = {student: read_marker(course, ASSIGNMENT, student) for student in [CORRECT, *cases]}
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    full = sum(points for _, points, manual in tests if not manual)
    scores = {student: sum(v or 0 for name, v in rows[student].items()) for student in rows}
    _print_report(markers, scores, full, sampler, seconds)
    return {"course": course, "secret": secret, "done": done, "markers": markers, "scores": scores, "full": full,
            "sampler": sampler}


def _print_report(markers, scores, full, sampler, seconds):
    print(f"\nthe grading run took {seconds:.1f} s (2 workers); full marks {full:g}")
    for student, marker in markers.items():
        ran = sum(marker["seconds"].values()) if marker else 0
        message = "; ".join(marker["messages"])[:150] if marker else "NO MARKER"
        print(f"  {student:<24} {marker and marker['status']:<9} {scores.get(student, 0):5g}  {ran:5.1f} s  {message}")
    print(f"host: lowest available memory {sampler.lowest_memory / GIB:.2f} GiB, free disk from "
          f"{sampler.start_disk / GIB:.2f} GiB down to {sampler.lowest_disk / GIB:.2f} GiB")


def test_the_run_completes_and_says_what_it_cannot_cap(graded):
    done = graded["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"graded {len(graded['markers'])} submission(s), 1 failed" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: not capped")]
    expected = [cgroups.unavailable_reason(), scratch.unavailable_reason()]
    assert len(warnings) == sum(reason is not None for reason in expected)


def test_the_correct_submission_keeps_full_marks(graded):
    assert graded["markers"][CORRECT]["status"] == "graded"
    assert graded["scores"][CORRECT] == graded["full"]


# student: (statuses it may end with, its score: 0, "full" or "full-1", a phrase of its messages)
EXPECTED = {
    "lone-surrogate-code": ({"problems"}, "full", "lone surrogates"),
    "lone-surrogate-markdown": ({"problems"}, "full", "lone surrogates"),
    "wrong-metadata-types": ({"problems"}, "full-1", "restored from the release: answer_q1"),
    "huge-notebook": ({"problems"}, 0, f"{NOTEBOOK} was not read: the submission's files may hold 50 MB"),
    "linked-folder": ({"failed"}, 0, "is a symbolic link: the submission was not read"),
    "links-inside": ({"problems"}, "full", "results.json is a symbolic link: not read"),
    "notebook-is-a-folder": ({"problems"}, 0, f"{NOTEBOOK} is a folder, not a notebook"),
    "fork-and-allocate": ({"problems"}, 0, "out of memory"),
    # a disk filler may also be flagged: on a loaded machine its filling cell can outlast the judge's time limit,
    # and the checks the kernel ran after it then did not run outside the kernel (a real disagreement)
    "many-big-files": ({"graded", "problems", "flagged"}, 0, None),
    "million-empty-files": ({"graded", "problems", "flagged"}, 0, None),
    "forged-driver-answers": ({"flagged"}, "full-1", "disagree on"),  # the forging cell is skipped: q1 lost
}


@pytest.mark.parametrize("student", EXPECTED)
def test_each_hostile_submission_is_graded_0_or_failed_with_its_message(graded, student):
    if student not in graded["markers"]:
        pytest.skip("not run here: the machine cannot cap it (see the module docstring)")
    statuses, score, phrase = EXPECTED[student]
    marker = graded["markers"][student]
    assert marker["status"] in statuses, marker
    full = graded["full"]
    assert graded["scores"][student] == {"full": full, "full-1": full - 1}.get(score, score), marker
    assert phrase is None or any(phrase in message for message in marker["messages"]), marker["messages"]


def autograded_output(graded, student):
    nb = nbformat.read(graded["course"] / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)


@pytest.mark.parametrize("student", ["many-big-files", "million-empty-files"])
def test_the_disk_fillers_stop_at_the_scratch_folders_cap(graded, student):
    if student not in graded["markers"]:
        pytest.skip("not run here: the scratch folder is not capped on this machine")
    assert "stopped: No space left on device" in autograded_output(graded, student)


def test_no_host_file_is_read_through_a_link(graded):
    secret = json.loads(graded["secret"].read_text())["secret"]
    course = graded["course"]
    for folder in ("autograded", "feedback"):
        for path in (course / folder).rglob("*"):
            assert not path.is_file() or secret.encode() not in path.read_bytes(), path
    assert "results.json False\ndata False" in autograded_output(graded, "links-inside")


def test_the_host_keeps_its_memory_and_disk(graded):
    sampler = graded["sampler"]
    assert sampler.lowest_memory > MEMORY_MARGIN
    assert sampler.start_disk - sampler.lowest_disk < DISK_SPENT


def test_nothing_is_left_mounted_or_grouped(graded):
    assert scratch.PREFIX not in pathlib.Path("/proc/self/mounts").read_text()
    if not cgroups.unavailable_reason():  # the groups of processes gone (other tests' gradings may be running)
        assert not list(stale(cgroups.find_hierarchy().parent, cgroups.PREFIX))


def test_a_rerun_grades_nothing_again(graded):
    again = grade(graded["course"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "graded 0 submission(s), 0 failed" in again.stdout
