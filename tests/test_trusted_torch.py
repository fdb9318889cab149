"""The trusted verdict of the torch_batchnorm assignment: the driver's {"import"} arguments, and the verdict on the
solution, the blank release, every catalogued bug, cheats and a layer that does nothing, against the notebook's own
tests (run in this process on the same class, hidden ones included)."""
import contextlib
import functools
import io

import nbformat
import numpy as np
import pytest

from autograder.bug_catalog import EXAMPLES
from autograder.course import REPO_ROOT
from autograder.examples import BLANK, CORRECT, example_notebooks
from autograder.trusted import extract
from autograder.trusted.checks import ASSIGNMENTS as TRUSTED
from autograder.trusted.replies import read_replies
from autograder.trusted.request import CallFailed, Global, Imported
from conftest import SOURCE, lost, trusted_verdict_of
from test_trusted import run_driver, write_request

ASSIGNMENT = "torch_batchnorm"
NOTEBOOK = SOURCE / ASSIGNMENT / "TorchBatchNorm.ipynb"
CELLS, NOTEBOOKS = TRUSTED[ASSIGNMENT].cells, TRUSTED[ASSIGNMENT].notebooks


# --- the driver's {"import"} arguments ---

IMPORTS_PROGRAM = {"box": '''
class Box:
    def __init__(self):
        self.items = {"a": np.ones(2), "b": np.zeros(1)}

    def named(self):
        yield from self.items.items()
'''}


def test_an_import_is_a_library_object_a_call_can_take_or_make(tmp_path):
    calls = {}

    def build(req):
        box = req.call("Box", send=False).returned()
        listing = req.call(box.attr("named"), send=False)
        calls["named"] = req.call(Imported("builtins.dict"), listing.returned())
        calls["kind"] = req.call(Imported("builtins.isinstance"), box, Global("Box"))
        calls["pi"] = req.read(Imported("math.pi"))
        calls["missing"] = req.call(Imported("math.nothing"))
        calls["no_module"] = req.read(Imported("no_such_module.f"))

    request = write_request(tmp_path, IMPORTS_PROGRAM, build)
    done = run_driver(tmp_path)
    assert done.returncode == 0, done.stderr
    request.resolve(read_replies(tmp_path, request.call_ids))
    named = calls["named"].value
    assert sorted(named) == ["a", "b"] and named["a"].tolist() == [1.0, 1.0]
    assert calls["kind"].value is True and calls["pi"].value == pytest.approx(np.pi)
    with pytest.raises(CallFailed, match="math.nothing raised AttributeError"):
        calls["missing"].value
    with pytest.raises(CallFailed, match="ModuleNotFoundError"):
        calls["no_module"].value


def test_a_call_whose_fn_is_neither_a_name_a_ref_nor_an_import_is_refused(tmp_path):
    write_request(tmp_path, IMPORTS_PROGRAM, lambda req: req.call(Imported("builtins.dict")))
    calls = tmp_path / "calls.json"
    calls.write_text(calls.read_text().replace('{"import": "builtins.dict"}', '{"import": 3}'))
    done = run_driver(tmp_path)
    assert done.returncode == 2 and "fn must be a name, a REF or an import" in done.stderr


# --- the verdict ---

@pytest.fixture(scope="module")
def students():
    return example_notebooks(REPO_ROOT, ASSIGNMENT)


verdict_of = functools.partial(trusted_verdict_of, ASSIGNMENT)


def points(notebooks):
    return {cell.grade_id: cell.points for cell in extract.graded_cells(notebooks, NOTEBOOKS)}


def test_every_graded_cell_has_trusted_checks_the_solution_earns_all_and_the_blank_release_nothing(students,
                                                                                                  tmp_path):
    assert sorted(points({NOTEBOOK.name: nbformat.read(NOTEBOOK, as_version=4)})) == sorted(CELLS)
    verdicts = verdict_of(students[CORRECT], tmp_path, seed=5)
    assert {g: v.score for g, v in verdicts.items()} == points(students[CORRECT])
    blank = verdict_of(students[BLANK], tmp_path)
    assert set(blank) == set(CELLS) and all(v.score == 0 for v in blank.values())
    assert "BatchNorm raised NotImplementedError" in blank["test_forward_train"].checks[0][2]


@pytest.mark.e2e
@pytest.mark.parametrize("seed", [1, 2])
def test_the_solution_earns_every_point(students, tmp_path, seed):
    verdicts = verdict_of(students[CORRECT], tmp_path, seed)
    assert all(passed for v in verdicts.values() for _, passed, _ in v.checks)


@pytest.mark.e2e
@pytest.mark.parametrize("bug", EXAMPLES[ASSIGNMENT], ids=lambda b: b.student)
def test_each_bug_loses_trusted_points_exactly_where_it_is_tested(students, tmp_path, bug):
    assert lost(verdict_of(students[bug.student], tmp_path, seed=1)) == set(bug.affected), bug.description


def with_cell(notebooks, source):
    """A copy of the submission whose BatchNorm cell is replaced by source (a function of the cell's source)."""
    changed = {}
    for name, nb in notebooks.items():
        changed[name] = nbformat.from_dict(nb)
        for cell in changed[name].cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "BatchNorm":
                cell.source = source(cell.source)
    return changed


def kernel_checks(notebooks):
    """
    Whether each check of each graded cell passes in the notebook's own tests, hidden ones included:
    {grade id: [passed, ...]}, the source notebook's setup, check helpers and test cells run in this
    process after the submission's BatchNorm cell (the experiment left out).
    """
    source = nbformat.read(NOTEBOOK, as_version=4)
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in source.cells if "nbgrader" in cell.metadata}
    submitted = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                 for cell in notebooks[NOTEBOOK.name].cells}
    namespace, checks = {}, {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(cells["torch_setup"].source, namespace)
        exec(submitted["BatchNorm"], namespace)
        exec(cells["torch_check_helpers"].source, namespace)
        for grade_id in CELLS:
            with contextlib.suppress(AssertionError):  # rubric.score() when no check passed
                exec(cells[grade_id].source, namespace)
            checks[grade_id] = [passed for _, _, passed in namespace["rubric"].results]
    return checks


@pytest.mark.e2e
@pytest.mark.parametrize("student", [CORRECT, BLANK, *(b.student for b in EXAMPLES[ASSIGNMENT])])
def test_every_check_passes_or_fails_as_the_notebooks_own_test_does(students, tmp_path, student):
    """What keeps the harness from flagging an honest submission: the same partial credit in every cell."""
    verdicts = verdict_of(students[student], tmp_path, seed=2)
    assert {g: [passed for _, passed, _ in v.checks] for g, v in verdicts.items()} == kernel_checks(students[student])


CHEAT = """
import assignments.checks
import assignments.grading
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
assignments.checks.report = lambda *args, **kwargs: True
assignments.grading.Rubric.score = lambda self: self.points
"""


@pytest.mark.e2e
@pytest.mark.parametrize("student", [CORRECT, "bug-mode-from-grad-enabled", "bug-4d-stats-per-position"])
def test_patching_torch_and_the_checks_earns_what_the_class_deserves(students, tmp_path, student):
    (tmp_path / "honest").mkdir()
    (tmp_path / "cheat").mkdir()
    honest = verdict_of(students[student], tmp_path / "honest")
    cheating = verdict_of(with_cell(students[student], lambda source: source + "\n" + CHEAT), tmp_path / "cheat")
    assert {g: v.score for g, v in cheating.items()} == {g: v.score for g, v in honest.items()}
    bug = next((b for b in EXAMPLES[ASSIGNMENT] if b.student == student), None)
    assert lost(cheating) == (set(bug.affected) if bug else set())


IDENTITY = """
import torch
from torch import nn


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims=2, eps=1e-5, momentum=0.1):
        super().__init__()
        shape = (1, num_features) + (1,) * (num_dims - 2)
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
        self.register_buffer("running_mean", torch.zeros(shape))
        self.register_buffer("running_var", torch.ones(shape))

    def forward(self, x):
        return x.clone()
"""


@pytest.mark.e2e
def test_a_layer_with_the_right_state_that_does_nothing_earns_only_the_checks_of_its_state(students, tmp_path):
    """The optimizer needs gradients, and every other check values: left are the state's checks and
    'not recorded by autograd', which the notebook gives such a layer too."""
    verdicts = verdict_of(with_cell(students[CORRECT], lambda source: IDENTITY), tmp_path)
    passed = {g: [description for description, ok, _ in v.checks if ok] for g, v in verdicts.items()}
    assert {g: len(descriptions) for g, descriptions in passed.items()} == {
        "test_parameters_and_buffers": 5, "test_forward_train": 0, "test_running_stats": 1, "test_eval_mode": 0,
        "test_gradients": 0}
    assert passed["test_running_stats"] == [
        "after training steps the running averages keep their shape and are not recorded by autograd"]
    assert not any("optimizer" in description for description in passed["test_parameters_and_buffers"])
