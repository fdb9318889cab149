"""Learning curves: the loss and the classification error of training runs, epoch by epoch.

Like the helpers of ``assignments.plotting``, the function returns the figure
and never calls plt.show(); every axis is labelled and every panel has a legend.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

PANELS = (("loss", 0, 2), ("classification error", 1, 3))  # title, index of the training and validation series


def plot_training_curves(runs, title=None):
    """
    Training and validation loss and error per epoch of several runs, side by side.

    Inputs:
    - runs: Dictionary mapping a label (shown in the legends) to the tuple
      (training_losses, training_errors, validation_losses, validation_errors)
      of one run, each a sequence of one value per epoch
    - title: Title of the figure, or None

    Returns:
    - fig: The matplotlib figure, with two subplots (loss, error). Each run has
      one colour: its training curve solid, its validation curve dashed.
    """
    fig, axes = plt.subplots(1, len(PANELS), figsize=(13, 4.5))
    for i, (label, stats) in enumerate(runs.items()):
        color = f"C{i % 10}"
        for ax, (_, train, val) in zip(axes, PANELS):
            epochs = np.arange(1, len(stats[train]) + 1)
            ax.plot(epochs, stats[train], "-o", color=color, markersize=3, label=f"{label}, training")
            ax.plot(epochs, stats[val], "--s", color=color, markersize=3, label=f"{label}, validation")
    for ax, (panel, _, _) in zip(axes, PANELS):
        ax.set_title(panel)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(panel)
        ax.legend()
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
