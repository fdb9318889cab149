"""A check the notebooks' experiments run before they train: the student's code works on a tiny input.

An experiment trains networks for seconds or minutes. Before it starts, it
calls the functions it needs once on a handful of examples with ``require``; if
that call fails, the cell stops at once with one line naming the function that
failed, the error, and the cells to complete first, instead of failing after a
baseline has trained. ``show_unless_graded`` shows an experiment's figure, but
not while nbgrader grades the notebook.
"""
import os

import numpy as np

from .failures import Failure, describe


AUTOGRADE = "autograde"  # NBGRADER_EXECUTION while nbgrader's autograde (or the harness) runs a notebook
NO_FIGURE = ("(no figure while nbgrader grades: this run trained the reduced version, too short to plot; "
             "your own run draws it)")


class NotReady(Failure):
    """The code an experiment needs fails on a tiny input; the one-line message says what to complete."""


def require(what, call, complete):
    """
    Run call() once and return its result: the tiny use of the student's code that an experiment needs.

    Inputs:
    - what: What call() does, for the message ("FullyConnectedNet with batch norm on 4 examples")
    - call: A function of no arguments
    - complete: What to complete if it fails ("the cells of test_fc_net_batchnorm")

    Raises NotReady when call() raises anything: its one line tells the error as
    failures.describe does (naming the notebook function that raised it) and `complete`.
    """
    try:
        return call()
    except Exception as error:  # any failure of the student's code stops the experiment the same way
        raise NotReady(f"{what} failed: {describe(error).rstrip('.')}. "
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


def show_unless_graded(draw):
    """
    Show the figure draw() returns, unless nbgrader is grading the notebook.

    While nbgrader autogrades (NBGRADER_EXECUTION is "autograde"), an experiment runs
    its reduced version to show that the student's code trains end to end. Its
    figure, of a run too short to read, would cost about half a second of every
    submission's grading and a picture in every feedback page; one line says so
    instead. A student's own run, and `nbgrader validate`, draw it.

    Inputs:
    - draw: Function of no arguments that makes the figure and returns it
    """
    if os.environ.get("NBGRADER_EXECUTION") == AUTOGRADE:
        print(NO_FIGURE)
        return
    import matplotlib.pyplot as plt  # here: the checks that import this module draw nothing

    draw()
    plt.show()
