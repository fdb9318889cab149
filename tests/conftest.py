"""
Shared helpers: paths of the course's notebooks, execution with nbclient, nbgrader regions, what students
write, the session's courses (one template per assignment, calibrated once; the example catalog graded once),
the repository's wheels, a loopback web server.
"""
import ast
import concurrent.futures
import contextlib
import dataclasses
import functools
import http.server
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS, REPO_ROOT, nbgrader, new_course_dir
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.examples.bug_catalog.habits import HABITS
from autograder.grade.coordinator import calibrate_assignment, grade_assignment
from autograder.reports.scores import score_table
from autograder.release import generate_releases
from autograder.grade.sandbox import SandboxUnavailable, check_sandbox

SOURCE = REPO_ROOT / "source"
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.M | re.S)
RELEASE = REPO_ROOT / "release"
MIN_WORDS = 3  # a line with fewer words ('else:', 'return dx') tells nothing


# Under pytest-xdist (./run test: -n auto --dist loadgroup --no-loadscope-reorder) each group of tests runs on
# one worker, in turn with the others of its group, and the workers take groups in the order below.
GROUPS = {
    # graded_catalog, the heaviest session fixture, shared by these two modules
    "test_grade_assignments.py": "catalog", "test_honest_habits.py": "catalog",
    # these make, kill and count the machine's cgroups and scratch folders: never two at once
    "test_caps.py": "machine", "test_grade.py": "machine", "test_grade_failures.py": "machine",
    "test_hostile.py": "machine",
}
# the longest groups first, so that no worker is left with one at the end; two quick ones right after the
# first two, because each worker is handed two groups at the start; every other module after these
FIRST = ["catalog", "machine", "test_gradient_check.py", "test_optim.py", "test_browser.py",
         "test_installed_grading.py", "test_demo.py", "test_hidden_test_edits.py", "test_grade_backends.py",
         "test_shortcuts.py", "test_notebooks_run.py", "test_example_course.py", "test_selfcheck.py",
         "test_sandbox.py", "test_verdict.py"]


def _group(item):
    return GROUPS.get(item.path.name, item.path.name)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """One xdist_group per module (or per GROUPS entry), and the groups of FIRST first (a stable sort)."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    items.sort(key=lambda item: FIRST.index(_group(item)) if _group(item) in FIRST else len(FIRST))


def notebooks(folder):
    """Every notebook of every assignment under folder (source, release/student, release/solution)."""
    return sorted(p for a in ASSIGNMENTS for p in (folder / a).glob("*.ipynb"))


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def region_lines(source, begin, end):
    """The non-blank lines strictly between `### BEGIN X` and `### END X` markers."""
    pattern = re.compile(rf"^[ \t]*{begin}[ \t]*\n(.*?)^[ \t]*{end}", re.M | re.S)
    return [line.strip() for block in pattern.findall(source) for line in block.splitlines() if line.strip()]


def solution_lines(nb):
    return [line for cell in nb.cells if nbgrader_meta(cell).get("solution")
            for line in region_lines(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")]


def solution_names():
    """The names the source notebooks' solution cells define at their top level: what students write."""
    names = set()
    for path in notebooks(SOURCE):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
                tree = ast.parse(TransformerManager().transform_cell(cell.source))
                names.update(node.name for node in tree.body
                             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    return names


def telling(lines):
    """The lines with words enough to tell something about an answer ('else:' and 'return dx' do not)."""
    return {line for line in lines if len(re.findall(r"\w+", line)) >= MIN_WORDS}


def telling_solution_lines():
    """The telling stripped solution lines of the source notebooks."""
    return telling(line for path in notebooks(SOURCE) for line in solution_lines(nbformat.read(path, as_version=4)))


def hidden_lines(nb):
    """
    Lines of hidden tests that occur nowhere else in the notebook: the ones that must stay secret.
    Lines of punctuation alone, such as a closing "}", tell nothing and are left out.
    """
    hidden = [line for cell in nb.cells if nbgrader_meta(cell).get("grade")
              for line in region_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]
    visible = {line.strip() for cell in nb.cells for line in HIDDEN_REGION.sub("", cell.source).splitlines()}
    return [line for line in hidden if line not in visible and any(char.isalnum() for char in line)]


def execute(path, cwd, timeout=300):
    """Run a notebook top to bottom with errors allowed, as nbgrader does; return the executed copy."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def graded_cells(nb):
    return [cell for cell in nb.cells if nbgrader_meta(cell).get("grade") and cell.cell_type == "code"]


def has_error(cell):
    return any(o.output_type == "error" for o in cell.outputs)


def points_shown(cell):
    """The number a test cell's last expression showed (nbgrader's partial credit), or None."""
    for output in cell.outputs:
        if output.output_type == "execute_result":
            return float(output.data["text/plain"])
    return None


@pytest.fixture(params=notebooks(SOURCE), ids=lambda p: p.name)
def source_notebook(request):
    return request.param


@pytest.fixture(scope="session")
def bwrap():
    """Skips the test where bubblewrap cannot start a sandbox."""
    try:
        check_sandbox()
    except SandboxUnavailable as error:
        pytest.skip(str(error))


# A reason that says what was measured or expected: a number, the words of an expectation, or where the
# student's code raised
TELLING_REASON = re.compile(r"\d|expected|must|not implemented|raised in|NaN", re.I)
BARE_NOT_IMPLEMENTED = re.compile(r"NotImplementedError:?\s*($|\.)", re.M)


def assert_failures_tell_one_line(nb, assignment, where):
    """
    Every failing check of an executed notebook's test cells (kernel or judge outputs) of an assignment tells one
    line: a reason with a measured value or an expectation, no traceback into assignments/, no bare
    NotImplementedError.
    """
    from assignments.outcomes import cell_outcome
    for cell in graded_cells(nb):
        outcome = cell_outcome(cell)
        texts = [output.get("text", "") for output in cell.outputs] + [
            "\n".join(output.get("traceback", [])) + output.get("evalue", "") for output in cell.outputs]
        shown = "\n".join(texts)
        assert "Traceback" not in shown and "assignments/" not in shown, (where, outcome["grade_id"], shown)
        assert not BARE_NOT_IMPLEMENTED.search(shown), (where, outcome["grade_id"], shown)
        for check in outcome["checks"]:
            if not check["passed"]:
                assert check["message"] and TELLING_REASON.search(check["message"]), \
                    (assignment, where, outcome["grade_id"], check)
        if outcome["error"]:
            assert "\n" not in outcome["error"].strip(), (where, outcome["grade_id"], outcome["error"])


PAGE_CODE = re.compile(r"<(style|script)\b.*?</\1>", re.S)  # a page's own CSS and JavaScript, not the notebook's
CELL_CODE = re.compile(r'<div class="input_area">.*?</pre>', re.S)  # a code cell's source on a feedback page


def assert_page_tells_no_traceback(page, where):
    """A feedback page (HTML) shows no traceback into assignments/ and no bare NotImplementedError in its outputs."""
    text = re.sub(r"<[^>]+>", "", CELL_CODE.sub("", PAGE_CODE.sub("", page)))
    assert "Traceback" not in text and "assignments/" not in text, where
    assert not BARE_NOT_IMPLEMENTED.search(text), where


def build_course(course_dir, students, assignment="batchnorm"):
    """
    A fresh course in course_dir: a copy of the session's course of the assignment (course_template), with the
    example submissions of `students` (None: every one, the correct, the blank and the catalog's bugs).
    """
    shutil.copytree(course_template(assignment), course_dir, symlinks=True)
    write_submissions(course_dir, assignment)
    if students is not None:
        _keep_submissions(course_dir, students)
    return course_dir


def _keep_submissions(course_dir, students):
    """Delete the submissions of course_dir but those of `students`."""
    for folder in (course_dir / "submitted").iterdir():
        if folder.name not in students:
            shutil.rmtree(folder)


@functools.cache
def course_template(assignment):
    """
    The session's course of the assignment: releases and gradebook built by nbgrader, its secret, and the
    calibration of its test cells (autograder/verdict/calibration.py) under that secret, which every copy
    reuses instead of judging the solution again (the calibration is keyed by the source, the secret and the
    grader's code: a copy whose source a test edits is calibrated anew).
    """
    course_dir = new_course_dir(pathlib.Path(_TEMPLATES.name) / assignment)
    generate_releases(course_dir, assignment)
    try:
        check_sandbox()
    except SandboxUnavailable:
        return course_dir  # each grading calibrates as it runs, or fails saying why
    calibrate_assignment(course_dir, assignment)
    return course_dir


_TEMPLATES = tempfile.TemporaryDirectory(prefix="course-templates-")  # removed when the session's process exits


@dataclasses.dataclass(frozen=True)
class GradedCatalog:
    """
    One assignment's examples graded once for the whole session (tests/test_grade_assignments.py and
    tests/test_honest_habits.py share it): the correct, blank, every catalog bug and every honest habit
    (autograder/examples/bug_catalog/habits.py) under the harness; the correct and the habits under stock
    `nbgrader autograde` too.

    course: the harness's course folder (nbgrader's feedback written); outcomes: {student: harness Outcome};
    tests: score_table's tests; harness, stock: {student: {test: points}} of the autograded tests; habits: the
    habits' student ids.
    """
    assignment: str
    course: pathlib.Path
    outcomes: dict
    tests: list
    harness: dict
    stock: dict
    habits: list


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def graded_catalog(request, tmp_path_factory):
    """The catalog graded by the harness; the correct and the habits by stock nbgrader, in two halves."""
    assignment = request.param
    course = build_course(tmp_path_factory.mktemp(assignment) / "harness", None, assignment)
    habits = [student for student in write_submissions(course, assignment, HABITS[assignment])
              if student not in (CORRECT, BLANK)]
    stock_students = [CORRECT, *habits]
    stock_halves = [_course_of(course, course.parent / f"stock-{k}", stock_students[k::2]) for k in range(2)]
    outcomes = harness_beside_stock(course, assignment, stock_halves, feedback=True)
    tests, harness = _auto_scores(course, assignment)
    stock = {student: row for half in stock_halves for student, row in _auto_scores(half, assignment)[1].items()}
    return GradedCatalog(assignment, course, outcomes, tests, harness, stock, habits)


def harness_beside_stock(course, assignment, stock_courses, *, feedback=False):
    """
    {student: Outcome} of the harness grading course (2 workers) while stock `nbgrader autograde` grades each
    of stock_courses in a process of its own; with feedback, nbgrader's generate_feedback of course follows the
    harness. Stock nbgrader grades one student at a time on one core: beside the harness, every core stays busy.
    """
    with concurrent.futures.ThreadPoolExecutor() as pool:
        runs = [pool.submit(nbgrader, stock, "autograde", assignment) for stock in stock_courses]
        outcomes = {o.student: o for o in grade_assignment(course, assignment, workers=2, progress=False)}
        if feedback:
            runs.append(pool.submit(nbgrader, course, "generate_feedback", assignment, "--force"))
        for run in runs:
            run.result()
    return outcomes


def _course_of(course, folder, students):
    """A copy of course in folder holding the submissions of `students` only."""
    copy = shutil.copytree(course, folder)
    _keep_submissions(copy, students)
    return copy


def _auto_scores(course, assignment):
    """(score_table's tests, {student: {autograded test: points}})."""
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", assignment)
    auto = [name for name, _, manual in tests if not manual]
    return tests, {student: {name: row[name] for name in auto} for student, row in rows.items()}


def build_wheels(folder):
    """
    Build every package of the repository (each pyproject.toml) as `pip wheel` does, offline and without
    build isolation, from a copy of the checkout made in folder: no earlier build's leftovers count, and
    the checkout gains no build folder. Returns the paths of the wheels, in folder/wheels.
    """
    checkout = folder / "repository"
    shutil.copytree(REPO_ROOT, checkout,
                    ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__"))
    projects = sorted(path.parent for path in checkout.rglob("pyproject.toml"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--wheel-dir", str(folder / "wheels"), *map(str, projects)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheels = sorted((folder / "wheels").glob("*.whl"))
    assert len(wheels) == len(projects) >= 2, (projects, wheels)
    return wheels


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(root):
    """Serve the files of folder root on an ephemeral port of 127.0.0.1; yields the base URL (ending in /)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
