"""A check the notebooks' experiments run before they train: the student's code works on a tiny input.

An experiment trains networks for seconds or minutes. Before it starts, it
calls the functions it needs once on a handful of examples with ``require``; if
that call fails, the cell stops at once with one line naming the function that
failed, the error, and the cells to complete first, instead of failing after a
baseline has trained.
"""
import os
import pathlib
import sys
import sysconfig

import numpy as np

# Folders whose frames are library code, not the student's: this package and the installed libraries
LIBRARY_FOLDERS = tuple({os.path.join(pathlib.Path(folder).resolve(), "") for folder in (
    pathlib.Path(__file__).parent, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"])})


class NotReady(RuntimeError):
    """The code an experiment needs fails on a tiny input; the message says what to complete."""

    def _render_traceback_(self):
        # IPython shows these lines instead of a traceback: the message is the whole story
        return [f"{type(self).__name__}: {self}"]


def failing_function(traceback):
    """The qualified name of the innermost function of a traceback that is not library code, or None."""
    name = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        qualname = getattr(code, "co_qualname", code.co_name)
        library = str(pathlib.Path(code.co_filename).resolve()).startswith(LIBRARY_FOLDERS)
        if not library and not qualname.startswith("<"):  # <lambda> or <module> names nothing a student wrote
            name = qualname
        traceback = traceback.tb_next
    return name


def require(what, call, complete):
    """
    Run call() once and return its result: the tiny use of the student's code that an experiment needs.

    Inputs:
    - what: What call() does, for the message ("FullyConnectedNet with batch norm on 4 examples")
    - call: A function of no arguments
    - complete: What to complete if it fails ("the cells of test_fc_net_batchnorm")

    Raises NotReady, whose one-line message names the failing function, the error and `complete`,
    when call() raises anything.
    """
    try:
        return call()
    except Exception as error:  # any failure of the student's code stops the experiment the same way
        where = failing_function(sys.exc_info()[2])
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__  # a bare raise says nothing
        raise NotReady(f"{what} failed{f' in {where}' if where else ''}: {detail.rstrip('.')}. "
                       f"Complete {complete} first; nothing was trained.") from None


def tiny_network_pass(model_class, normalization):
    """
    A training step (loss and gradients) and a test-mode pass of a tiny model_class network, as Solver makes
    them: model_class(hidden_dims, input_dim=..., num_classes=..., normalization=...), a FullyConnectedNet.
    numpy's global random state is left as it was.

    Raises AssertionError when loss returns no gradient, or one of the wrong shape, for a parameter.
    """
    state = np.random.get_state()
    try:
        model = model_class([3, 3], input_dim=4, num_classes=2, normalization=normalization, dtype=np.float64)
        X, y = np.random.default_rng(0).standard_normal((4, 4)), np.array([0, 1, 0, 1])
        grads = model.loss(X, y)[1]
        wrong = sorted(name for name, value in model.params.items() if np.shape(grads.get(name)) != value.shape)
        assert not wrong, f"loss returned no gradient, or one of the wrong shape, for {', '.join(wrong)}"
        model.loss(X)
    finally:
        np.random.set_state(state)
