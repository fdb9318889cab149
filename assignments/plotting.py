"""Figures of training runs and of hyperparameter sweeps.

Every axis is labelled and every panel has a legend. The helpers return the
figure and never call plt.show(): a notebook shows a returned figure by itself,
and a script can save it.
"""
import matplotlib.pyplot as plt
import numpy as np


def plot_training_histories(solvers, title=None):
    """
    Training loss, training accuracy and validation accuracy of several runs, stacked.

    Inputs:
    - solvers: Dictionary mapping a label (shown in the legends) to a trained
      Solver, or anything with its loss_history, train_acc_history and
      val_acc_history lists
    - title: Title of the figure, or None

    Returns:
    - fig: The matplotlib figure, with three subplots. The loss of every iteration
      is drawn as faint dots, with its moving average as a line of the same colour.
    """
    fig, (loss_ax, train_ax, val_ax) = plt.subplots(3, 1, figsize=(10, 12))
    for i, (label, solver) in enumerate(solvers.items()):
        color = f"C{i % 10}"
        losses = np.asarray(solver.loss_history, dtype=float)
        loss_ax.plot(losses, ".", color=color, alpha=0.2, markersize=3)
        window = max(1, len(losses) // 20)
        loss_ax.plot(np.arange(window - 1, len(losses)), _moving_average(losses, window),
                     color=color, label=label)
        train_ax.plot(solver.train_acc_history, "-o", color=color, label=label)
        val_ax.plot(solver.val_acc_history, "-o", color=color, label=label)

    _label(loss_ax, "training loss (dots: each iteration, line: moving average)",
           "iteration", "training loss")
    _label(train_ax, "training accuracy", "epoch", "accuracy")
    _label(val_ax, "validation accuracy", "epoch", "accuracy")
    return _finish(fig, title)


def plot_sweep(x_values, series, x_label, title=None, log_x=True, log_y=()):
    """
    Results of a sweep over one hyperparameter, one panel per measured quantity, side by side.

    Inputs:
    - x_values: Sequence of the hyperparameter values, of length K
    - series: Dictionary mapping a panel title (the quantity, e.g. "best validation
      accuracy", also the panel's y label) to a dictionary mapping a line label
      (e.g. "baseline", "batchnorm") to a sequence of K y values, one per x value
    - x_label: Label of the x axes, e.g. "weight initialization scale"
    - title: Title of the figure, or None
    - log_x: If True, the x axes are in log scale
    - log_y: Titles of the panels whose y axis is in log scale (e.g. a loss that
      explodes for some x values)

    Returns:
    - fig: The matplotlib figure, with len(series) subplots
    """
    fig, axes = plt.subplots(1, len(series), figsize=(6 * len(series), 4.5), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], series.items()):
        for label, y_values in lines.items():
            ax.plot(x_values, y_values, "-o", label=label)
        if log_x:
            ax.set_xscale("log")
        if panel in log_y:
            ax.set_yscale("log")
        _label(ax, panel, x_label, panel)
    return _finish(fig, title)


def _moving_average(values, window):
    """
    Mean of each run of `window` consecutive values.

    Inputs:
    - values: Array of shape (T,)
    - window: Integer between 1 and T

    Returns:
    - averages: Array of shape (T - window + 1,); averages[i] = mean(values[i:i + window])
    """
    return np.convolve(values, np.ones(window) / window, mode="valid")


def _finish(fig, title):
    """Give fig its title (when not None) and a tight layout; return it."""
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _label(ax, title, x_label, y_label):
    """Set the subplot's title, axis labels and legend."""
    ax.set_title(title)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.legend()
