"""The verdict outside the kernel: a small assignment's test cell judged with the student's code in a sandbox.

Each test writes a notebook (a setup cell, the student's cells, one test cell)
into a folder, judges it as the harness does (judge.judge_notebook, the driver
in the sandbox) and, where it matters, runs the same cells as the student's
kernel would (notebook_cells.CellRunner): honest code must get the
same points in both, cheats must get none outside the kernel. Both run in
processes of their own, as in grading: a cheat run in this process would patch
the modules the judge imports.
"""
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from assignments.notebook_cells import SKIP_TAG, cells_of
from autograder.grade.sandbox import Limits, check_sandbox
from autograder.verdict.check_lines import checks_in, disagreements
from autograder.verdict.judge import judge_notebook
from autograder.grade.workers import support_python_path

NAME = "Double.ipynb"
SETUP = """import time
import numpy as np
from assignments.measures import rel_error
from assignments.grading import Rubric, expect_close, observe"""
SOLUTION = "def double(x):\n    return 2 * x"
TEST = """rubric = Rubric(points=2)
x = np.arange(4.0)
out = observe(lambda: double(x))
with rubric.check("doubles an array"):
    expect_close(out, 2 * x, 1e-12, "out")
### BEGIN HIDDEN TESTS
with rubric.check("doubles a float32 array into float32"):
    x32 = np.ones(3, np.float32)
    out32 = observe(lambda: double(x32))
    assert out32.dtype == np.float32, f"out has dtype {out32.dtype}"
    expect_close(out32, 2 * x32, 1e-7, "out")
### END HIDDEN TESTS
rubric.score()"""


def meta(grade_id, kind):
    nbgrader = {"grade_id": grade_id, "solution": kind == "solution", "grade": kind == "test",
                "locked": kind != "solution", "schema_version": 3}
    if kind == "test":
        nbgrader["points"] = 2
    return {"nbgrader": nbgrader}


def notebook(*student_cells, test=TEST, setup=SETUP):
    """The small assignment: setup, the student's cells (strings: added cells; the first is the solution cell), the test."""
    cells = [new_code_cell(setup, metadata=meta("setup", "setup"))]
    for index, source in enumerate(student_cells or (SOLUTION,)):
        cells.append(new_code_cell(source, metadata=meta("double", "solution") if index == 0 else {}))
    cells.append(new_code_cell(test, metadata=meta("test_double", "test")))
    return new_notebook(cells=cells)


@pytest.fixture(scope="module")
def sandboxed():
    try:
        check_sandbox()
    except Exception as error:  # the sandbox's own tests say why; here it is only the driver's home
        pytest.skip(f"no sandbox here: {error}")
    return True


def judged(tmp_path, nb, files=None, limits=Limits(cell_timeout=10)):
    """(points, {description: (passed, reason)}, outputs, notes) of the test cell judged outside the kernel."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / NAME)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    verdict = judge_notebook(cells_of(nb), NAME, workdir=folder, limits=limits, use_sandbox=True,
                             python_path=support_python_path(), private_tmp=None)
    outputs = verdict["cells"]["test_double"]
    return _points(outputs), checks_in(outputs), outputs, verdict["notes"]


KERNEL = """
import contextlib, io, json, sys
from assignments.notebook_cells import CellRunner, is_skipped, is_test_cell, read_cells
sys.path.insert(0, "")
runner = CellRunner({}, "kernel")
for index, cell in enumerate(read_cells(sys.argv[1])):
    if cell["cell_type"] != "code" or is_skipped(cell):
        continue
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        value, error = runner.evaluate(cell["source"], index)
    if is_test_cell(cell):
        print(json.dumps([0.0 if error is not None else float(value), printed.getvalue()]))
"""


def in_kernel(tmp_path, nb, files=None):
    """(points, checks, outputs) of the test cell with every cell run in a fresh process, as a kernel runs them."""
    folder = tmp_path / "kernel"
    folder.mkdir(exist_ok=True)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    nbformat.write(nb, folder / NAME)
    done = subprocess.run([sys.executable, "-c", KERNEL, NAME], cwd=folder, capture_output=True, text=True,
                          check=True, timeout=120)
    points, printed = json.loads(done.stdout.splitlines()[-1])
    outputs = [{"output_type": "stream", "name": "stdout", "text": printed}]
    return points, checks_in(outputs), outputs


def _points(outputs):
    if any(o["output_type"] == "error" for o in outputs):
        return 0.0
    return float(next(o for o in outputs if o["output_type"] == "execute_result")["data"]["text/plain"])


# --- honest code: the same points in the kernel and out of it ---

HABITS = {
    "helper in a cell the student added": ("def twice(v):\n    return v + v",
                                           "def double(x):\n    return twice(x)"),
    "modules and helpers from the setup cell": ("def double(x):\n    start = time.perf_counter()\n"
                                                "    assert rel_error(x, x) == 0\n    return 2 * x",),
    "a solution cell that starts with a magic": ("%%time\ndef double(x):\n    return 2 * x",),
    "line magics and shell commands": ("%matplotlib inline\n!echo hi\ndef double(x):\n    return 2 * x",),
    "printing a lot": ("def double(x):\n    print('debug ' * 10_000)\n    return 2 * x",),
    "float32 tried in a cell of one's own": (SOLUTION, "print(double(np.ones(2, np.float32)).dtype)"),
    "a cell that fails before the solution": ("undefined_name", SOLUTION),
    "numpy's global random state": ("def double(x):\n    noise = np.random.randn(*x.shape).astype(x.dtype)\n"
                                    "    return 2 * x + 0 * noise",),
}


@pytest.mark.parametrize("cells", HABITS.values(), ids=HABITS.keys())
def test_honest_habits_earn_full_points_in_and_out_of_the_kernel(sandboxed, tmp_path, cells):
    points, checks, outputs, notes = judged(tmp_path, notebook(*cells))
    assert points == 2, checks
    kernel_points, kernel_checks, kernel_outputs = in_kernel(tmp_path, notebook(*cells))
    assert kernel_points == 2
    assert disagreements(kernel_outputs, outputs) == []


def test_a_module_submitted_beside_the_notebook_is_imported(sandboxed, tmp_path):
    files = {"my_helpers.py": "def twice(v):\n    return v + v\n"}
    nb = notebook("from my_helpers import twice\ndef double(x):\n    return twice(x)")
    assert judged(tmp_path, nb, files)[0] == 2
    assert in_kernel(tmp_path, nb, files)[0] == 2


def test_skipped_magics_are_noted(sandboxed, tmp_path):
    notes = judged(tmp_path, notebook("%%bash\necho hi", SOLUTION))[3]
    assert any("%%bash skipped outside the kernel" in note for note in notes)


def test_the_random_state_flows_through_observe_as_in_the_kernel(sandboxed, tmp_path):
    test = """rubric = Rubric(points=2)
np.random.seed(231)
first = observe(lambda: double(np.random.randn(3)))
after = np.random.randn(2)
with rubric.check("the student's draws and the cell's next draws follow one seed"):
    np.random.seed(231)
    expect_close(first, 2 * np.random.randn(3), 1e-12, "out")
    expect_close(after, np.random.randn(2), 1e-12, "the next draws")
rubric.score()"""
    nb = notebook(test=test)
    assert judged(tmp_path, nb)[0] == 2
    assert in_kernel(tmp_path, nb)[0] == 2


def test_the_student_sees_copies_and_changes_come_back_only_through_the_result(sandboxed, tmp_path):
    solution = "def double(x):\n    x *= 2\n    return x"
    test = """rubric = Rubric(points=2)
x = np.arange(3.0)
out = observe(lambda: double(x))
with rubric.check("x is left alone"):
    expect_close(x, np.arange(3.0), 0, "x")
    expect_close(out, 2 * np.arange(3.0), 0, "out")
rubric.score()"""
    assert judged(tmp_path, notebook(solution, test=test))[0] == 2
    assert in_kernel(tmp_path, notebook(solution, test=test))[0] == 2


# --- what the student's code does wrong is reported as in the kernel ---

def test_an_exception_is_reported_with_its_type_and_message(sandboxed, tmp_path):
    nb = notebook("def double(x):\n    raise KeyError('no such key')")
    points, checks, outputs, _ = judged(tmp_path, nb)
    kernel_points, kernel_checks, kernel_outputs = in_kernel(tmp_path, nb)
    assert points == kernel_points == 0
    # one line, as in the kernel: the type, the message and the student's function that raised it
    told = "KeyError: 'no such key' (raised in double)"
    assert any(o["output_type"] == "error" and o["evalue"] == told and o["traceback"] == [told] for o in outputs)


def test_an_endless_loop_costs_its_checks_and_the_run_goes_on(sandboxed, tmp_path):
    nb = notebook("def double(x):\n    if x.dtype == np.float32:\n        while True:\n            pass\n    return 2 * x")
    points, checks, _, _ = judged(tmp_path, nb, limits=Limits(cell_timeout=6))
    assert points == 1
    assert checks["doubles a float32 array into float32"] == (False, "StudentCodeError: your code ran longer than 6 s")


def test_a_cell_that_hangs_is_skipped_and_noted(sandboxed, tmp_path):
    nb = notebook(SOLUTION, "while True:\n    pass")
    points, _, _, notes = judged(tmp_path, nb, limits=Limits(cell_timeout=6))
    assert points == 2
    assert any("ran longer than 6 s; skipped outside the kernel" in note for note in notes)


def test_judge_code_that_calls_the_student_outside_observe_fails_with_a_clear_reason(sandboxed, tmp_path):
    test = "rubric = Rubric(points=2)\nwith rubric.check('called directly'):\n    double(1)\nrubric.score()"
    checks = judged(tmp_path, notebook(test=test))[1]
    assert checks["called directly"] == (False, "TypeError: double is the student's code: call it inside observe(...)")


# --- cheats: full points in the kernel, none outside it ---

WRONG = "def double(x):\n    return x"
CHEATS = {
    "numpy patched": "np.allclose = lambda *a, **k: True\nnp.max = lambda *a, **k: 0.0\nnp.all = lambda *a, **k: True",
    "the Rubric patched": "import assignments.grading\nassignments.grading.Rubric.score = lambda self: self.points\n"
                          "Rubric.score = lambda self: self.points",
    "the test helpers replaced": "import assignments.grading\nassignments.grading.expect_close = lambda *a, **k: None\n"
                                 "expect_close = lambda *a, **k: None",
    "observe replaced": "import assignments.grading, assignments.observing\nobserve = lambda fn: 2 * x\n"
                        "assignments.observing.observe = observe",
    "a result equal to everything": "class Anything:\n    def __eq__(self, other):\n        return True\n"
                                    "    def __array__(self, *a, **k):\n        return np.zeros(0)\n"
                                    "def double(x):\n    return Anything()",
    "the traceback hidden": "get_ipython().showtraceback = lambda *a, **k: None\nimport sys\n"
                            "sys.excepthook = lambda *a: None",
}


@pytest.mark.parametrize("cheat", CHEATS.values(), ids=CHEATS.keys())
def test_a_cheat_earns_nothing_outside_the_kernel(sandboxed, tmp_path, cheat):
    points, checks, _, _ = judged(tmp_path, notebook(WRONG, cheat))
    assert points == 0, checks
    assert not any(passed for passed, _ in checks.values())


def test_a_cheat_that_fools_the_kernel_is_a_disagreement_naming_the_check(sandboxed, tmp_path):
    nb = notebook(WRONG, CHEATS["the test helpers replaced"])
    kernel_points, _, kernel_outputs = in_kernel(tmp_path, nb)
    assert kernel_points == 2  # the kernel was fooled
    lines = disagreements(kernel_outputs, judged(tmp_path, nb)[2])
    assert lines == ["'doubles an array': in the kernel ok, outside it FAIL (AssertionError: out: relative error "
                     "3.3e-01, must be below 1e-12)",
                     "'doubles a float32 array into float32': in the kernel ok, outside it FAIL (AssertionError: "
                     "out: relative error 3.3e-01, must be below 1e-07)"]


def test_kernel_only_cells_run_neither_in_the_judge_nor_in_the_driver(sandboxed, tmp_path):
    nb = notebook(SOLUTION)
    nb.cells.insert(2, new_code_cell("raise SystemExit('an experiment must not run here')",
                                     metadata={**meta("experiment", "setup"), "tags": [SKIP_TAG]}))
    assert judged(tmp_path, nb)[0] == 2
