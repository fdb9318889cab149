"""Trusted verdicts: the student's functions called in a separate process, every check decided outside it."""
import ast
import functools
import json
import pathlib
import pickle
import subprocess
import sys
import types

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.bug_catalog import EXAMPLES
from autograder.course import REPO_ROOT
from autograder.examples import BLANK, CORRECT, example_notebooks
from autograder.trusted import driver, extract
from autograder.trusted.checks import ASSIGNMENTS as TRUSTED
from autograder.trusted.replies import Opaque, read_replies
from autograder.trusted.request import CallFailed, Request, View
from autograder.trusted.verdict import trusted_verdict
from conftest import SOURCE, lost, run_plainly, trusted_verdict_of

ASSIGNMENT = "batchnorm"
CELLS, NOTEBOOKS = TRUSTED[ASSIGNMENT].cells, TRUSTED[ASSIGNMENT].notebooks

DRIVER = pathlib.Path(driver.__file__)


def solution_cell(grade_id, source, kind="code"):
    make = new_code_cell if kind == "code" else new_markdown_cell
    return make(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": True, "grade": kind != "code",
                                               "locked": False, "schema_version": 3}})


def source_notebooks():
    return {path.name: nbformat.read(path, as_version=4) for path in sorted((SOURCE / "batchnorm").glob("*.ipynb"))}


# --- extract: the program and the graded cells ---

def test_program_joins_the_solution_code_cells_batch_normalization_first():
    notebooks = dict(reversed(source_notebooks().items()))  # SpatialBatchNorm.ipynb first in the dict
    cells = extract.solution_cells(notebooks, NOTEBOOKS)
    assert [cell.grade_id for cell in cells] == [
        "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "fc_net", "layernorm_forward",
        "layernorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
        "spatial_groupnorm_forward", "spatial_groupnorm_backward"]  # code only: no answer_* markdown cell
    text, table = extract.program(cells)
    lines = text.split("\n")
    for cell, entry in zip(cells, table):
        first, stop = entry["lines"]
        assert "\n".join(lines[first:stop]) == cell.source and entry["name"] == cell.name
        assert lines[first - 1] == f"# %% {cell.name}"


def test_a_magic_in_a_solution_cell_becomes_a_call_so_the_rest_of_the_cell_compiles():
    nb = new_notebook(cells=[solution_cell("f", "def f(x):\n    return 2 * x\n%timeit f(3)\nprint(f(1))"),
                             solution_cell("answer", "**my answer**", kind="markdown")])
    [cell] = extract.solution_cells({"First.ipynb": nb}, ["First.ipynb"])
    compile(cell.source, "cell", "exec")
    assert "get_ipython().run_line_magic('timeit', 'f(3)')" in cell.source


def test_every_graded_code_cell_of_the_source_notebooks_has_trusted_checks_and_its_points():
    graded = extract.graded_cells(source_notebooks(), NOTEBOOKS)
    assert sorted(cell.grade_id for cell in graded) == sorted(CELLS)
    assert {cell.grade_id: cell.points for cell in graded}["test_forward_train"] == 4


def test_a_graded_cell_without_trusted_checks_gets_no_verdict(tmp_path):
    """Its in-kernel grade stands: a student who adds a graded cell cannot make the trusted verdict fail."""
    nb = new_notebook(cells=[new_code_cell("assert True", metadata={"nbgrader": {
        "grade_id": "test_new", "grade": True, "solution": False, "points": 1, "schema_version": 3}})])
    assert trusted_verdict({"SpatialBatchNorm.ipynb": nb}, assignment=ASSIGNMENT, run=run_plainly, seed=0,
                           workdir=tmp_path) == {}


# --- the driver and its protocol ---

def test_the_driver_imports_numpy_and_the_standard_library_only():
    """In the sandbox the autograder package is hidden: the driver must stand alone."""
    tree = ast.parse(DRIVER.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"contextlib", "json", "math", "os", "signal", "sys", "numpy"}


PROTOCOL_PROGRAM = {
    "broken": "def never(:\n    pass",
    "tools": '''
def mutate(param, x):
    param["seen"] = x.shape
    x[0, 0] = 99.0
    return x.copy(), {"n": 3, "f": 1.5, "nan": float("nan")}, None, "text", np.float32(2.5), print

def fail():
    raise ValueError("no luck")

def double(x):
    return 2 * x, None

def forever():
    while True:
        pass

class Line:
    def __init__(self, slope):
        self.params = {"w": np.array([1.0, 2.0])}
        self.bn_params = [{"mode": "train"}]
        self.slope = slope

    def loss(self, X, y=None):
        value = self.slope * float(self.params["w"] @ X.sum(axis=0))
        return value if y is None else (value, {"w": self.slope * X.sum(axis=0)})
''',
}


def write_request(folder, program, build, seconds=0.5):
    """Write program (grade id -> source) and the calls build(request) registers; return the Request."""
    request = Request()
    build(request)
    cells = [extract.SolutionCell("Test.ipynb", grade_id, source) for grade_id, source in program.items()]
    text, table = extract.program(cells)
    (folder / "program.py").write_text(text)
    request.write(folder, cells=table, seconds=seconds)
    return request


def run_driver(folder):
    return subprocess.run([sys.executable, str(DRIVER), str(folder)], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    """One driver run of every kind of call; {name: Pending} once resolved."""
    folder = tmp_path_factory.mktemp("protocol")
    X, y = np.arange(6.0).reshape(3, 2), np.zeros(3, dtype=int)
    calls = {}

    def build(req):
        calls["mutate"] = req.call("mutate", {"k": 1}, View(np.arange(12.0).reshape(3, 4), step=(1, 2)), watch=(0, 1))
        calls["fail"] = req.call("fail")
        calls["needs_fail"] = req.call("double", calls["fail"].returned(0))
        calls["reuse"] = req.call("double", calls["mutate"].returned(0))
        calls["never"] = req.call("never")
        calls["map"] = req.map("double", np.zeros(2), over=0, stack=np.arange(6.0).reshape(3, 2))
        calls["forever"] = req.call("forever")
        calls["forever_again"] = req.call("forever")
        calls["net"] = req.net("Line", {"slope": 3.0}, params={"w": np.array([0.5, -1.0])},
                               steps=[(X, y), (X, None)], numeric=(X, y, 1e-5, {"w": [1]}))

    request = write_request(folder, PROTOCOL_PROGRAM, build)
    done = run_driver(folder)
    assert done.returncode == 0, done.stderr
    request.resolve(read_replies(folder, request.call_ids))
    return calls, X


def test_a_call_returns_plain_data_and_reports_its_watched_arguments_after_the_call(protocol):
    calls, _ = protocol
    out, info, nothing, text, scalar, function = calls["mutate"].value
    np.testing.assert_array_equal(out, [[99.0, 2.0], [4.0, 6.0], [8.0, 10.0]])
    assert info["n"] == 3 and info["f"] == 1.5 and np.isnan(info["nan"])
    assert (nothing, text, function) == (None, "text", Opaque("builtin_function_or_method"))
    assert scalar.dtype == np.float32 and scalar == 2.5
    assert calls["mutate"].after(0) == {"k": 1, "seen": (3, 2)}
    base = np.arange(12.0).reshape(3, 4)
    base[0, 0] = 99.0
    np.testing.assert_array_equal(calls["mutate"].after(1), base)  # the whole array behind the strided view


def test_errors_are_per_call_and_a_call_that_needs_a_failed_one_fails_too(protocol):
    """One endless loop costs the calls of its function, not the run."""
    calls, _ = protocol
    with pytest.raises(CallFailed, match="fail raised ValueError: no luck"):
        calls["fail"].value
    with pytest.raises(CallFailed, match="it needs call c1, which failed"):
        calls["needs_fail"].value
    with pytest.raises(CallFailed, match=r"Timeout: ran longer than 0.5 s"):
        calls["forever"].value
    with pytest.raises(CallFailed, match=r"not called again after it ran out of time in call c6"):
        calls["forever_again"].value
    with pytest.raises(CallFailed, match="no never .*Test.ipynb/broken raised SyntaxError"):
        calls["never"].value
    np.testing.assert_array_equal(calls["reuse"].value[0], 2 * calls["mutate"].value[0])  # the live object


def test_a_map_stacks_one_call_per_input_and_a_net_sends_losses_for_numeric_gradients(protocol):
    calls, X = protocol
    np.testing.assert_array_equal(calls["map"].value, 2 * np.arange(6.0).reshape(3, 2))
    net = calls["net"].value
    np.testing.assert_array_equal(net["params"]["w"], [1.0, 2.0])  # as constructed, before the given params
    loss, grads = net["steps"][0]
    assert loss == pytest.approx(3.0 * (0.5 * 6 - 9)) and net["steps"][1] == pytest.approx(loss)
    assert net["bn_params"] == [[{"mode": "train"}], [{"mode": "train"}]]
    plus, minus = net["numeric"]["w"]  # entry 1 of w only, as asked
    np.testing.assert_allclose((plus - minus) / 2e-5, grads["w"][1:], rtol=1e-6)


def valid_request(folder):
    write_request(folder, {"f": "def f(x):\n    return x"}, lambda req: req.call("f", np.ones(2)))


class Touch:
    """Unpickling this creates a file: the driver must refuse the pickle before anything runs."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.path),)


@pytest.mark.parametrize("corrupt", [
    lambda folder: (folder / "inputs.npz").write_bytes(pickle.dumps(Touch(folder / "unpickled"))),
    lambda folder: np.savez(folder / "inputs.npz", i0=np.array([Touch(folder / "unpickled")], dtype=object)),
    lambda folder: (folder / "calls.json").write_text("{\"protocol\": 1,"),
    lambda folder: (folder / "calls.json").write_text((folder / "calls.json").read_text().replace("0.5", "NaN")),
    lambda folder: (folder / "calls.json").write_text((folder / "calls.json").read_text().replace('"call"', '"exec"')),
], ids=["pickle", "object-array", "malformed-json", "nan", "unknown-kind"])
def test_the_driver_refuses_a_pickle_or_malformed_json_and_runs_nothing(tmp_path, corrupt):
    valid_request(tmp_path)
    corrupt(tmp_path)
    done = run_driver(tmp_path)
    assert done.returncode == 2 and "request refused" in done.stderr
    assert not (tmp_path / "unpickled").exists()
    assert not (tmp_path / "results.json").exists() and not (tmp_path / "outputs.npz").exists()


# --- the verdict when the driver gives no usable answer ---

def crash(command, workdir):
    return types.SimpleNamespace(returncode=-9, stdout=b"", stderr=b"Killed\n", timed_out=False)


def hang(command, workdir):
    return types.SimpleNamespace(returncode=None, stdout=b"", stderr=b"", timed_out=True)


def answering(write):
    """A run that writes results.json and outputs.npz itself instead of running the driver."""
    def run(command, workdir):
        write(pathlib.Path(workdir))
        return types.SimpleNamespace(returncode=0, stdout=b"", stderr=b"", timed_out=False)
    return run


def all_ok(folder, value):
    """results.json answering every call of the request with the same value."""
    ids = [call["id"] for call in json.loads((folder / "calls.json").read_text())["calls"]]
    return {"protocol": 1, "program": [], "calls": {i: {"ok": True, "value": value} for i in ids}}


def write_answer(results, outputs=None):
    """Write results (text, a dict, or a function of the folder giving either) and outputs.npz
    (the given bytes, or an empty archive)."""
    def write(folder):
        content = results(folder) if callable(results) else results
        (folder / "results.json").write_text(content if isinstance(content, str) else json.dumps(content))
        if outputs is None:
            np.savez(folder / "outputs.npz")
        else:
            (folder / "outputs.npz").write_bytes(outputs)
    return write


@pytest.mark.parametrize("run, message", [
    (crash, "exited with status -9: Killed"),
    (hang, "ran out of time"),
    (answering(lambda folder: None), "wrote no results.json"),
    (answering(write_answer("{not json")), "unreadable"),
    (answering(write_answer("{}", outputs=pickle.dumps([1]))), "unreadable"),
    (answering(write_answer({"protocol": 1, "program": [], "calls": {"c0": {"ok": True}}})),
     "does not answer the calls made"),
    (answering(write_answer(lambda folder: all_ok(folder, {"array": "o0"}))), "no array 'o0'"),
    (answering(write_answer(lambda folder: all_ok(folder, {"exec": "os.system"}))), "unknown tag 'exec'"),
    (answering(write_answer("[" * 100_000 + "]" * 100_000)), "RecursionError"),
], ids=["crash", "timeout", "no-answer", "not-json", "pickled-outputs", "other-calls", "missing-array",
        "unknown-tag", "too-deep"])
def test_no_usable_answer_costs_every_cell_with_the_reason(tmp_path, run, message):
    notebooks = {"SpatialBatchNorm.ipynb": nbformat.read(SOURCE / "batchnorm" / "SpatialBatchNorm.ipynb",
                                                         as_version=4)}
    verdicts = trusted_verdict(notebooks, assignment=ASSIGNMENT, run=run, seed=0, workdir=tmp_path)
    assert set(verdicts) == {"test_spatial_forward_train", "test_spatial_test_mode", "test_spatial_backward",
                             "test_groupnorm_forward", "test_groupnorm_backward"}
    for verdict in verdicts.values():
        assert verdict.score == 0 and verdict.max_score > 0
        assert all(not passed and message in reason for _, passed, reason in verdict.checks)


# --- end to end: real submissions through the real driver ---

@pytest.fixture(scope="module")
def students():
    return example_notebooks(REPO_ROOT, "batchnorm")


verdict_of = functools.partial(trusted_verdict_of, ASSIGNMENT)


@pytest.mark.e2e
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_solution_earns_every_point(students, tmp_path, seed):
    verdicts = verdict_of(students[CORRECT], tmp_path, seed)
    points = {cell.grade_id: cell.points for cell in extract.graded_cells(students[CORRECT], NOTEBOOKS)}
    assert {grade_id: v.score for grade_id, v in verdicts.items()} == points
    assert all(passed for v in verdicts.values() for _, passed, _ in v.checks)


@pytest.mark.e2e
def test_the_blank_release_earns_nothing(students, tmp_path):
    verdicts = verdict_of(students[BLANK], tmp_path)
    assert all(v.score == 0 for v in verdicts.values())
    assert "batchnorm_forward raised NotImplementedError" in verdicts["test_forward_train"].checks[0][2]


@pytest.mark.e2e
@pytest.mark.parametrize("bug", EXAMPLES["batchnorm"], ids=lambda bug: bug.student)
def test_each_bug_loses_trusted_points_exactly_where_it_is_tested(students, tmp_path, bug):
    assert lost(verdict_of(students[bug.student], tmp_path)) == set(bug.affected), bug.description


CHEAT = """
import assignments.grading
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
assignments.grading.Rubric.score = lambda self: self.points
"""


@pytest.mark.e2e
def test_patching_numpy_and_the_rubric_earns_what_the_wrong_code_deserves(students, tmp_path):
    bug = next(bug for bug in EXAMPLES["batchnorm"] if bug.student == "bug-unbiased-variance")
    cheat = {}
    for name, nb in students[bug.student].items():
        cheat[name] = nbformat.from_dict(nb)
        for cell in cheat[name].cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "batchnorm_forward":
                cell.source += "\n" + CHEAT
    (tmp_path / "honest").mkdir()
    (tmp_path / "cheat").mkdir()
    honest = verdict_of(students[bug.student], tmp_path / "honest")
    cheating = verdict_of(cheat, tmp_path / "cheat")
    assert {g: v.score for g, v in cheating.items()} == {g: v.score for g, v in honest.items()}
    assert lost(cheating) == set(bug.affected)


GARBAGE = {
    "batchnorm_forward": "def batchnorm_forward(x, gamma, beta, bn_param):\n    return np.zeros_like(x), x.shape",
    "batchnorm_backward": "def batchnorm_backward(dout, cache):\n"
                          "    return np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1])",
    "batchnorm_backward_alt": "batchnorm_backward_alt = batchnorm_backward",
    "fc_net": """
from assignments.fc_net import FullyConnectedNetBase

class FullyConnectedNet(FullyConnectedNetBase):
    def init_normalization(self, layer, dim):
        self.params[f"gamma{layer}"] = np.full(dim, 0.5)
        self.params[f"beta{layer}"] = np.full(dim, 0.5)

    def normalize_forward(self, h, layer):
        return np.zeros_like(h), None

    def normalize_backward(self, dout, cache, layer):
        return np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1])
""",
    "layernorm_forward": "def layernorm_forward(x, gamma, beta, ln_param):\n    return np.zeros_like(x), x.shape",
    "layernorm_backward": "layernorm_backward = batchnorm_backward",
    "spatial_batchnorm_forward": "spatial_batchnorm_forward = batchnorm_forward",
    "spatial_batchnorm_backward": "def spatial_batchnorm_backward(dout, cache):\n"
                                  "    return np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1])",
    "spatial_groupnorm_forward": "def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):\n"
                                 "    return np.zeros_like(x), x.shape",
    "spatial_groupnorm_backward": "def spatial_groupnorm_backward(dout, cache):\n"
                                  "    shape = (1, dout.shape[1], 1, 1)\n"
                                  "    return np.zeros_like(dout), np.zeros(shape), np.zeros(shape)",
}


@pytest.mark.e2e
def test_right_shapes_with_garbage_values_earn_nothing(students, tmp_path):
    """Zeros everywhere: a forward and a backward pass that agree with each other, and a forward
    that leaves every argument alone, must not earn the checks of gradients or of side effects."""
    garbage = {}
    for name, nb in students[CORRECT].items():
        garbage[name] = nbformat.from_dict(nb)
        for cell in garbage[name].cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                cell.source = GARBAGE[meta["grade_id"]]
    verdicts = verdict_of(garbage, tmp_path)
    assert {g: v.score for g, v in verdicts.items() if v.score} == {}
