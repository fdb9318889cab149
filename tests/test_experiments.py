"""Experiments check the student's code on a tiny input before they train, and stop with one line if it fails."""
import shutil

import numpy as np
import pytest

from assignments.experiments import NotReady, require, tiny_network_pass
from conftest import RELEASE, execute, nbgrader_meta, notebooks
from test_fc_net import ReferenceBatchNormNet

SKIP_TAG = "skip-outside-kernel"


def cell_function(source, name):
    """The function `name` that a notebook cell holding source defines (its code's file is an IPython cell's)."""
    namespace = {}
    exec(compile(source, "<ipython-input-1-0>", "exec"), namespace)
    return namespace[name]


def not_ready(call):
    """The message of the NotReady that require raises for call."""
    with pytest.raises(NotReady) as raised:
        require("the deep network", call, "the cells of test_fc_net_batchnorm")
    return str(raised.value)


def test_a_working_call_returns_its_result():
    assert require("a sum", lambda: 1 + 2, "nothing") == 3


def test_a_failure_names_the_failing_function_the_error_and_what_to_complete():
    batchnorm_forward = cell_function("def batchnorm_forward(x):\n    raise ValueError('bad shape')", "batchnorm_forward")
    message = not_ready(lambda: batchnorm_forward(np.ones(3)))
    assert message == ("the deep network failed: ValueError: bad shape (raised in batchnorm_forward). "
                       "Complete the cells of test_fc_net_batchnorm first; nothing was trained.")


def test_a_bare_stub_is_named_as_not_implemented_yet():
    layernorm_forward = cell_function("def layernorm_forward():\n    raise NotImplementedError()", "layernorm_forward")
    assert not_ready(layernorm_forward).startswith(
        "the deep network failed: NotImplementedError: layernorm_forward is not implemented yet")


def test_ipython_shows_the_message_alone():
    error = NotReady("the deep network failed")
    assert error._render_traceback_() == ["the deep network failed"]


def test_a_correct_network_passes_and_keeps_numpy_random_state():
    np.random.seed(231)
    expected = np.random.rand()
    np.random.seed(231)
    tiny_network_pass(ReferenceBatchNormNet, "batchnorm")
    assert np.random.rand() == expected


def test_a_missing_hook_is_named_by_the_base_class_message():
    class NoHooks(ReferenceBatchNormNet):
        normalize_backward = ReferenceBatchNormNet.__bases__[0].normalize_backward

    message = not_ready(lambda: tiny_network_pass(NoHooks, "batchnorm"))
    assert "NoHooks.normalize_backward is not implemented" in message
    assert "\n" not in message


def test_gradients_of_the_wrong_shape_are_named():
    class RowGradients(ReferenceBatchNormNet):
        def normalize_backward(self, dout, cache, layer):
            dh, dgamma, dbeta = super().normalize_backward(dout, cache, layer)
            return dh, dgamma[None], dbeta

    message = not_ready(lambda: tiny_network_pass(RowGradients, "batchnorm"))
    assert "the wrong shape, for gamma1, gamma2" in message


@pytest.mark.e2e
@pytest.mark.parametrize("path", [p for p in notebooks(RELEASE / "student") if p.name != "SpatialBatchNorm.ipynb"],
                         ids=lambda p: p.name)
def test_blank_release_experiments_stop_before_training_with_one_line(path, tmp_path):
    folder = shutil.copytree(path.parent, tmp_path / path.parent.name)
    nb = execute(folder / path.name, folder)
    errors = [(nbgrader_meta(cell)["grade_id"], output) for cell in nb.cells if SKIP_TAG in cell.metadata.get("tags", [])
              for output in cell.outputs if output.output_type == "error"]
    assert errors and errors[0][1].ename == "NotReady", f"the first experiment to fail is {errors[:1]}"
    for grade_id, error in errors:
        if error.ename == "NotReady":
            assert len(error.traceback) == 1 and "nothing was trained" in error.evalue, (grade_id, error)
    for cell in nb.cells:
        if any(output.get("ename") == "NotReady" for output in cell.get("outputs", [])):
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "Iteration" not in printed and "epoch" not in printed.lower(), printed
