"""Plotting helpers: labelled axes, legends, log scale, no window opened."""
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from assignments.experiments import NO_FIGURE, show_unless_graded
from assignments.plotting import plot_sweep, plot_training_histories

plt.switch_backend("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(seed, iterations=60, epochs=4):
    rng = np.random.default_rng(seed)
    losses = 2 - np.linspace(0, 1, iterations) + 0.1 * rng.random(iterations)
    return SimpleNamespace(loss_history=list(losses),
                           train_acc_history=list(np.linspace(0.2, 0.9, epochs + 1)),
                           val_acc_history=list(np.linspace(0.2, 0.7, epochs + 1)))


def assert_labelled_with_legend(ax, labels):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    legend = ax.get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == labels


def test_training_histories_has_three_labelled_panels_with_a_line_per_run():
    fig = plot_training_histories({"baseline": history(0), "batchnorm": history(1)}, title="runs")
    assert len(fig.axes) == 3 and fig.get_suptitle() == "runs"
    for ax in fig.axes:
        assert_labelled_with_legend(ax, ["baseline", "batchnorm"])
    loss_ax = fig.axes[0]
    dots, average = loss_ax.lines[:2]
    assert len(dots.get_xdata()) == 60 and dots.get_linestyle() == "None" and dots.get_alpha() < 1
    assert average.get_color() == dots.get_color()
    assert len(average.get_xdata()) == 60 - 3 + 1  # a window of 60 // 20 = 3 iterations
    assert [line.get_color() for line in loss_ax.lines[1::2]] == [
        line.get_color() for line in fig.axes[2].lines]


def test_training_histories_of_a_single_iteration_run():
    fig = plot_training_histories({"short": history(2, iterations=1, epochs=1)})
    assert len(fig.axes[0].lines[1].get_xdata()) == 1


@pytest.mark.parametrize("log_x, scale", [(True, "log"), (False, "linear")])
def test_sweep_has_one_labelled_panel_per_quantity(log_x, scale):
    x = [1e-3, 1e-2, 1e-1]
    series = {"best validation accuracy": {"baseline": [0.3, 0.4, 0.2], "batchnorm": [0.5, 0.5, 0.4]},
              "final training loss": {"baseline": [2.0, 1.5, 2.3], "batchnorm": [1.1, 1.0, 1.2]}}
    fig = plot_sweep(x, series, "weight initialization scale", title="sweep", log_x=log_x)
    assert [ax.get_title() for ax in fig.axes] == list(series)
    for ax, panel in zip(fig.axes, series):
        assert_labelled_with_legend(ax, ["baseline", "batchnorm"])
        assert ax.get_xlabel() == "weight initialization scale" and ax.get_ylabel() == panel
        assert ax.get_xscale() == scale
        assert list(ax.lines[0].get_xdata()) == x


def test_helpers_do_not_show_the_figure(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    plot_training_histories({"run": history(3)})
    plot_sweep([1, 10], {"accuracy": {"run": [0.1, 0.2]}}, "x")


def test_sweep_panels_named_in_log_y_use_a_log_scale():
    fig = plot_sweep([1, 10], {"accuracy": {"run": [0.1, 0.2]}, "loss": {"run": [2.0, 1e4]}}, "x", log_y={"loss"})
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "log"]


def test_an_experiment_draws_its_figure_unless_nbgrader_autogrades(monkeypatch, capsys):
    drawn = []
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    show_unless_graded(lambda: drawn.append(plt.figure()))
    assert drawn == [] and capsys.readouterr().out == NO_FIGURE + "\n"
    for value in ("validate", None):  # nbgrader validate, and a student's own run
        if value is None:
            monkeypatch.delenv("NBGRADER_EXECUTION")
        else:
            monkeypatch.setenv("NBGRADER_EXECUTION", value)
        show_unless_graded(lambda: drawn.append(plt.figure()))
    assert len(drawn) == 2 and capsys.readouterr().out == ""
    plt.close("all")
