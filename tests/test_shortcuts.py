"""Library functions an assignment's answers may not use: found in the student's cells and caught when called."""

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from assignments.notebook_cells import cells_of
from autograder.cli import main
from autograder.examples.bug_catalog import Bug, Edit
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.grade.coordinator import read_marker
from autograder.reports.scores import score_table
from autograder.grade.sandbox import Limits
from autograder.verdict.judge import judge_notebook
from autograder.verdict.library_calls import static_uses
from autograder.grade.workers import support_python_path
from conftest import build_course

FLAGGED = ["torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.BatchNorm1d"]
SETUP = "import torch\nfrom torch import nn"


@pytest.mark.parametrize("cell, used", [
    ("import torch.nn.functional as F\ny = F.batch_norm(x, None, None, training=True)", ["torch.nn.functional.batch_norm"]),
    ("z = torch.batch_norm", ["torch.batch_norm"]),
    ("layer = nn.BatchNorm1d(3)", ["torch.nn.BatchNorm1d"]),
    ("%%time\nfrom torch.nn.functional import batch_norm as bn", ["torch.nn.functional.batch_norm"]),
    ("def batch_norm(x):\n    return x - x.mean()\ny = batch_norm(torch.ones(3))", []),  # the student's own
    ("class BatchNorm(nn.Module):\n    pass", []),
])
def test_static_uses_resolve_the_cells_aliases(cell, used):
    assert static_uses([cell], FLAGGED, [SETUP]) == used


def test_the_instructors_own_uses_do_not_count():
    assert static_uses(["y = 1"], FLAGGED, [SETUP + "\nreference = nn.BatchNorm1d(3)"]) == []


TEST = """rubric = Rubric(points=1)
out = observe(lambda: normalize(torch.arange(6.0).reshape(3, 2)))
with rubric.check("normalizes"):
    assert abs(float(out.mean())) < 1e-6
rubric.score()"""


@pytest.mark.parametrize("solution, flagged", [
    ("def normalize(x):\n    return (x - x.mean(0)) / x.std(0, unbiased=False)", []),
    ("import torch.nn.functional as F\ndef normalize(x):\n    return F.batch_norm(x, None, None, training=True)",
     ["torch.batch_norm", "torch.nn.functional.batch_norm"]),
    ("def normalize(x):\n    f = getattr(torch.nn.functional, 'batch_' + 'norm')\n"
     "    return f(x, None, None, training=True)", ["torch.batch_norm", "torch.nn.functional.batch_norm"]),
])
def test_a_call_is_caught_in_the_sandbox_and_said_in_the_cells_output(tmp_path, solution, flagged):
    setup = SETUP + "\nfrom assignments.grading import Rubric, observe"
    meta = lambda grade_id, **kind: {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "solution": False,
                                                  "grade": False, "locked": True, **kind}}
    nb = new_notebook(cells=[new_code_cell(setup, metadata=meta("setup")),
                             new_code_cell(solution, metadata=meta("normalize", solution=True, locked=False)),
                             new_code_cell(TEST, metadata=meta("test_normalize", grade=True, points=1))])
    nbformat.write(nb, tmp_path / "Shortcut.ipynb")
    verdict = judge_notebook(cells_of(nb), "Shortcut.ipynb", workdir=tmp_path, limits=Limits(cell_timeout=30),
                             use_sandbox=True, python_path=support_python_path(), private_tmp=None,
                             flagged_calls=FLAGGED)
    assert verdict["shortcuts"].get("test_normalize", []) == flagged
    text = "".join(o.get("text", "") for o in verdict["cells"]["test_normalize"])
    assert ("FLAG  your code called" in text) == bool(flagged)


SHORTCUT = Bug("shortcut-functional-batch-norm", "BatchNorm.forward hands the normalization to F.batch_norm",
               (Edit("BatchNorm", "        x_hat = (x - mean) / torch.sqrt(var + self.eps)\n"
                                  "        out = self.weight * x_hat + self.bias\n",
                     "        out = torch.nn.functional.batch_norm(x, mean.flatten(), var.flatten(), self.weight.flatten(),\n"
                     "                                             self.bias.flatten(), training=False, eps=self.eps)\n"),),
               frozenset())


def graded_with(tmp_path, assignment, variant):
    """A course of the assignment with the correct submission and variant, graded by `python -m autograder grade`;
    returns (course folder, the correct one's marker, the variant's marker)."""
    course = build_course(tmp_path / "course", set(), assignment)
    write_submissions(course, assignment, (variant,))
    shutil.rmtree(course / "submitted" / BLANK)
    assert main(["grade", assignment, "--course-dir", str(course), "--workers", "2"]) == 0
    return (course, *(read_marker(course, assignment, student) for student in (CORRECT, variant.student)))


@pytest.mark.e2e
def test_the_harness_flags_a_module_that_calls_pytorchs_batch_norm_and_says_so_in_its_feedback(tmp_path):
    assignment = "torch_batchnorm"
    course, correct, shortcut = graded_with(tmp_path, assignment, SHORTCUT)
    assert correct["status"] == "graded", correct["messages"]
    assert shortcut["status"] == "flagged"
    assert any("may not use" in m and "torch.nn.functional.batch_norm" in m for m in shortcut["messages"])
    feedback = next((course / "feedback" / SHORTCUT.student / assignment).glob("*.html")).read_text()
    assert "FLAG  your code called" in feedback and "torch.nn.functional.batch_norm" in feedback


AUTOGRAD = Bug("shortcut-autograd-backward", "batchnorm_backward hands the gradients to PyTorch's autograd",
               (Edit("batchnorm_backward", "    x, mu, std, gamma = cache\n",
                     "    x, mu, std, gamma = cache\n"
                     "    import torch\n"
                     "    x_t = torch.tensor(x, requires_grad=True)\n"
                     "    gamma_t = torch.tensor(gamma, requires_grad=True)\n"
                     "    beta_t = torch.zeros_like(gamma_t, requires_grad=True)\n"
                     "    eps = torch.tensor(std ** 2 - x.var(axis=0))\n"
                     "    out = gamma_t * (x_t - x_t.mean(0)) / torch.sqrt(x_t.var(0, unbiased=False) + eps) + beta_t\n"
                     "    out.backward(torch.tensor(dout))\n"
                     "    return x_t.grad.numpy(), gamma_t.grad.numpy(), beta_t.grad.numpy()\n"),),
               frozenset({"test_backward", "test_backward_alt"}))


@pytest.mark.e2e
def test_a_numpy_assignments_sandbox_has_no_pytorch_so_autograd_earns_nothing(tmp_path):
    assignment = "batchnorm"
    course, correct, autograd = graded_with(tmp_path, assignment, AUTOGRAD)
    assert correct["status"] == "graded", correct["messages"]
    # neither sandbox has PyTorch: the kernel and the verdict outside it agree on 0
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", assignment)
    assert rows[AUTOGRAD.student]["test_backward"] == 0
    feedback = (course / "feedback" / AUTOGRAD.student / assignment / "BatchNormalization.html").read_text()
    assert "No module named" in feedback and "torch" in feedback
