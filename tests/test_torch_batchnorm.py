"""The torch_batchnorm solution, taken from the source notebook, against torch.nn.BatchNorm1d/2d; and its bug catalog.

Each probe checks one property of a BatchNorm class and names the graded cell of
TorchBatchNorm.ipynb that checks the same property. The solution must pass every
probe, and each catalogued bug must fail probes of exactly the cells it is
catalogued to lose points in (the end-to-end tests confirm the points with nbgrader).
"""
import nbformat
import pytest
import torch
from torch import nn

from assignments.notebook_import import names_from_notebook
from autograder.examples.bug_catalog import EXAMPLES
from autograder.examples import plant
from conftest import SOURCE

NOTEBOOK = SOURCE / "torch_batchnorm" / "TorchBatchNorm.ipynb"
STATE = ("weight", "bias", "running_mean", "running_var")
SHAPES = ((6, 4), (3, 5, 2, 4))  # one (N, L) and one (N, C, H, W) input


def load_class(path):
    return names_from_notebook(path, ["BatchNorm"])["BatchNorm"]


@pytest.fixture(scope="module")
def solution():
    return load_class(NOTEBOOK)


def layers(cls, shape, dtype=torch.float64, momentum=0.1, seed=0, random_stats=False):
    """
    (cls's layer, PyTorch's layer) for inputs of `shape`, in training mode, holding the same random
    weight and bias (and running averages if random_stats), drawn from seed into cls's layer first.
    """
    generator = torch.Generator().manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        mine = cls(shape[1], len(shape), momentum=momentum).to(dtype)
        torch_layer = (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(shape[1], momentum=momentum).to(dtype)
    finally:
        torch.set_default_dtype(previous)
    names = STATE if random_stats else STATE[:2]
    with torch.no_grad():
        for name in names:
            tensor = getattr(mine, name)
            tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator, dtype=dtype))
            getattr(torch_layer, name).copy_(tensor.reshape(-1))
    return mine, torch_layer


def batch(shape, seed, dtype=torch.float64):
    return 2 * torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype) - 1


def assert_close(mine, expected, tol=1e-10):
    """mine (any shape holding expected's values, e.g. (1, C, 1, 1) for (C,)) equals expected within tol."""
    assert mine.numel() == expected.numel(), f"{tuple(mine.shape)} against {tuple(expected.shape)}"
    torch.testing.assert_close(mine.detach().reshape(expected.shape).double(), expected.detach().double(),
                               rtol=tol, atol=tol)


def probe_state(cls):
    bn = cls(3, 4)
    assert {name for name, _ in bn.named_parameters()} == {"weight", "bias"}
    assert {name for name, _ in bn.named_buffers()} == {"running_mean", "running_var"}
    assert set(bn.state_dict()) == set(STATE)
    assert all(tensor.shape == (1, 3, 1, 1) for tensor in bn.state_dict().values())
    assert all(getattr(bn.double(), name).dtype == torch.float64 for name in STATE)


def probe_training_output(cls):
    for shape in SHAPES:
        mine, torch_layer = layers(cls, shape)
        x = batch(shape, seed=1)
        assert_close(mine(x), torch_layer(x))


def probe_running_averages(cls):
    for shape in SHAPES:
        mine, torch_layer = layers(cls, shape, momentum=0.3, random_stats=True)
        for seed in range(3):
            mine(batch(shape, seed))
            torch_layer(batch(shape, seed))
        for name in STATE[2:]:
            assert_close(getattr(mine, name), getattr(torch_layer, name), tol=1e-8)


def probe_training_under_no_grad(cls):
    mine, torch_layer = layers(cls, SHAPES[0])
    with torch.no_grad():
        mine(batch(SHAPES[0], seed=2))
        torch_layer(batch(SHAPES[0], seed=2))
    assert_close(mine.running_var, torch_layer.running_var)


def probe_running_averages_not_recorded(cls):
    mine, _ = layers(cls, SHAPES[1])
    mine(batch(SHAPES[1], seed=3).requires_grad_()).sum().backward()
    assert not mine.running_mean.requires_grad and not mine.running_var.requires_grad


def probe_evaluation(cls):
    for shape in SHAPES:
        mine, torch_layer = layers(cls, shape, random_stats=True)
        mine.eval()
        torch_layer.eval()
        before = [mine.running_mean.clone(), mine.running_var.clone()]
        x = batch(shape, seed=4)
        assert_close(mine(x[:1]), torch_layer(x[:1]))
        assert_close(mine(x), torch_layer(x))
        assert torch.equal(mine.running_mean, before[0]) and torch.equal(mine.running_var, before[1])


def probe_gradients(cls):
    for shape in SHAPES:
        mine, torch_layer = layers(cls, shape)
        dout = batch(shape, seed=5)
        inputs = [batch(shape, seed=6).requires_grad_() for _ in range(2)]
        mine(inputs[0]).backward(dout)
        torch_layer(inputs[1]).backward(dout)
        assert_close(inputs[0].grad, inputs[1].grad)
        assert_close(mine.weight.grad, torch_layer.weight.grad)
        assert_close(mine.bias.grad, torch_layer.bias.grad)


PROBES = {
    probe_state: "test_parameters_and_buffers",
    probe_training_output: "test_forward_train",
    probe_running_averages: "test_running_stats",
    probe_training_under_no_grad: "test_running_stats",
    probe_running_averages_not_recorded: "test_running_stats",
    probe_evaluation: "test_eval_mode",
    probe_gradients: "test_gradients",
}


def failing_cells(cls):
    """The graded cells of the probes that cls fails (a probe fails by raising anything)."""
    failed = set()
    for probe, cell in PROBES.items():
        try:
            probe(cls)
        except Exception:
            failed.add(cell)
    return failed


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.__name__)
def test_solution_passes(solution, probe):
    probe(solution)


def test_the_probed_cells_are_the_notebooks_graded_cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    graded = {cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
              if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}
    assert set(PROBES.values()) == graded


def test_training_needs_two_values_per_channel_and_evaluation_takes_one(solution):
    bn = solution(4)
    with pytest.raises(ValueError, match="more than one value"):
        bn(torch.randn(1, 4))
    assert bn.eval()(torch.randn(1, 4)).shape == (1, 4)


def test_a_wrong_input_shape_raises(solution):
    with pytest.raises(ValueError, match="channels on axis 1"):
        solution(3, 4)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="num_dims"):
        solution(3, 3)


@pytest.mark.parametrize("bug", EXAMPLES["torch_batchnorm"], ids=lambda bug: bug.student)
def test_each_bug_fails_the_probes_of_exactly_its_cells(bug, tmp_path):
    path = tmp_path / NOTEBOOK.name
    nbformat.write(plant(nbformat.read(NOTEBOOK, as_version=4), bug), path)
    assert failing_cells(load_class(path)) == set(bug.affected), bug.description
