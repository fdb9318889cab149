"""Solver: overfits a small training set, keeps histories and the best parameters, checkpoints."""
import pickle

import numpy as np
import pytest

from assignments import optim
from assignments.fc_net import FullyConnectedNetBase
from assignments.solver import Solver

EPOCHS, BATCH = 15, 10  # 50 training samples: 5 iterations an epoch


class TinyNet(FullyConnectedNetBase):
    """A small subclass without normalization, as the notebooks' nets are subclasses."""

    def __init__(self, **kwargs):
        super().__init__([30], input_dim=10, num_classes=3, weight_scale=0.1, dtype=np.float64, **kwargs)


@pytest.fixture
def data():
    """50 training samples of a linearly separable 3-class problem; 40 validation ones, 30% relabelled 0."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((90, 10))
    y = np.argmax(X @ rng.standard_normal((10, 3)), axis=1)
    y[50:][rng.random(40) < 0.3] = 0
    return {"X_train": X[:50], "y_train": y[:50], "X_val": X[50:], "y_val": y[50:]}


def make_solver(data, **kwargs):
    np.random.seed(0)
    options = {"update_rule": "adam", "optim_config": {"learning_rate": 1e-2}, "batch_size": BATCH,
               "num_epochs": EPOCHS, "verbose": False, **kwargs}
    return Solver(TinyNet(), data, **options)


def test_overfits_50_samples_and_records_histories_of_the_right_lengths(data):
    solver = make_solver(data)
    solver.train()
    assert solver.train_acc_history[-1] == 1.0
    assert len(solver.loss_history) == EPOCHS * 50 // BATCH
    # checked after the first iteration (epoch 0), then at the end of every epoch
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == EPOCHS + 1
    assert np.mean(solver.loss_history[-5:]) < 0.3 * np.mean(solver.loss_history[:5])
    assert solver.epoch == EPOCHS


def test_the_parameters_of_the_best_validation_accuracy_are_restored(data):
    solver = make_solver(data)
    solver.train()
    best = int(np.argmax(solver.val_acc_history))
    assert best < EPOCHS, "precondition: the best epoch is not the last, so restoring matters"
    assert solver.best_val_acc == solver.val_acc_history[best]
    assert solver.model.params is solver.best_params
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc


def test_a_seed_reproduces_a_run(data):
    runs = [make_solver(data) for _ in range(2)]
    for solver in runs:
        np.random.seed(1)
        solver.train()
    assert runs[0].loss_history == runs[1].loss_history


def test_learning_rate_decays_once_an_epoch(data):
    solver = make_solver(data, num_epochs=3, lr_decay=0.5, update_rule="sgd")
    solver.train()
    assert all(np.isclose(c["learning_rate"], 1e-2 * 0.5 ** 3) for c in solver.optim_configs.values())
    assert solver.optim_config == {"learning_rate": 1e-2}, "the given config is copied, not updated"


def test_a_checkpoint_is_saved_at_every_accuracy_check(data, tmp_path):
    solver = make_solver(data, num_epochs=2, checkpoint_name=str(tmp_path / "run"))
    solver.train()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"run_epoch_{e}.pkl" for e in range(3)]
    with open(tmp_path / "run_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint.keys() == {"model", "update_rule", "lr_decay", "optim_config", "batch_size",
                                 "num_train_samples", "num_val_samples", "epoch", "loss_history",
                                 "train_acc_history", "val_acc_history"}
    assert checkpoint["epoch"] == 2 and checkpoint["update_rule"] is optim.adam
    assert checkpoint["val_acc_history"] == solver.val_acc_history
    assert checkpoint["model"].params.keys() == {"W1", "b1", "W2", "b2"}


def test_unknown_arguments_and_update_rules_are_rejected(data):
    with pytest.raises(ValueError, match="'learning_rate', 'epochs'"):
        Solver(TinyNet(), data, learning_rate=1e-3, epochs=3)
    for rule in ("nesterov", "np"):
        with pytest.raises(ValueError, match=f"Invalid update_rule '{rule}'"):
            Solver(TinyNet(), data, update_rule=rule)


def test_a_function_can_be_the_update_rule(data):
    calls = []

    def halve(w, dw, config):
        calls.append(config)
        return w / 2, config

    solver = make_solver(data, update_rule=halve, num_epochs=1)
    w1 = solver.model.params["W1"].copy()
    solver._step()
    assert len(calls) == 4 and np.allclose(solver.model.params["W1"], w1 / 2)


def test_check_accuracy_batches_and_subsamples(data):
    solver = make_solver(data)
    X, y = data["X_val"], data["y_val"]
    predicted = np.argmax(solver.model.loss(X), axis=1)
    assert solver.check_accuracy(X, y, batch_size=7) == np.mean(predicted == y)
    np.random.seed(3)
    mask = np.random.choice(len(y), 10)
    np.random.seed(3)
    assert solver.check_accuracy(X, y, num_samples=10) == np.mean(predicted[mask] == y[mask])


def test_verbose_shows_one_bar_and_one_summary_line(data, capsys):
    make_solver(data, verbose=True, num_epochs=2).train()
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("best validation accuracy") and "2 / 2 epochs" in out
    assert err.count("training:") <= 2 and "10/10" in err and "val_acc=" in err


def test_not_verbose_shows_nothing(data, capsys):
    make_solver(data).train()
    assert capsys.readouterr() == ("", "")
