"""cs231n's ``Solver``: minibatch training of a classification model, with a progress bar.

The model contract:

- ``model.params``: dictionary mapping parameter names to numpy arrays
- ``model.loss(X, y=None)``: with y None, the scores of shape (N, C); otherwise
  a tuple (loss, grads) where grads has the keys of model.params
"""
import pickle
import sys

import numpy as np
from tqdm.asyncio import tqdm as console_tqdm
from tqdm.auto import tqdm

from assignments import optim

# Seconds between two redraws of a text progress bar written to a log rather
# than a terminal (CI), where every redraw stays in the output.
LOG_REFRESH_SECONDS = 10


class Solver:
    """
    A Solver encapsulates all the logic necessary for training classification
    models. It performs stochastic gradient descent using different update rules
    defined in optim.py.

    The solver accepts both training and validation data and labels so it can
    periodically check classification accuracy on both, to watch out for overfitting.

    To train a model, construct a Solver instance, passing the model, dataset,
    and various options (learning rate, batch size, etc) to the constructor.
    Then call the train() method to run the optimization procedure and train
    the model.

    After the train() method returns, model.params will contain the parameters
    that performed best on the validation set over the course of training.
    In addition, the instance variable solver.loss_history will contain a list
    of all losses encountered during training and the instance variables
    solver.train_acc_history and solver.val_acc_history will be lists of the
    accuracies of the model on the training and validation set at each epoch
    (after the first iteration, then at the end of every epoch).

    Example usage might look something like this:

    data = {
      'X_train': # training data
      'y_train': # training labels
      'X_val': # validation data
      'y_val': # validation labels
    }
    model = MyAwesomeModel(hidden_size=100, reg=10)
    solver = Solver(model, data,
                    update_rule='sgd',
                    optim_config={
                      'learning_rate': 1e-4,
                    },
                    lr_decay=0.95,
                    num_epochs=5, batch_size=200,
                    print_every=100)
    solver.train()
    """

    def __init__(self, model, data, **kwargs):
        """
        Construct a new Solver instance.

        Required arguments:
        - model: A model object conforming to the API described above
        - data: A dictionary of training and validation data containing:
          'X_train': Array, shape (N_train, d_1, ..., d_k) of training images
          'X_val': Array, shape (N_val, d_1, ..., d_k) of validation images
          'y_train': Array, shape (N_train,) of labels for training images
          'y_val': Array, shape (N_val,) of labels for validation images

        Optional arguments:
        - update_rule: A string giving the name of an update rule in optim.py
          (one of optim.__all__), or a function with the same signature.
          Default is 'sgd'.
        - optim_config: A dictionary containing hyperparameters that will be
          passed to the chosen update rule. Each update rule requires different
          hyperparameters (see optim.py) but all update rules require a
          'learning_rate' parameter so that should always be present.
        - lr_decay: A scalar for learning rate decay; after each epoch the
          learning rate is multiplied by this value.
        - batch_size: Size of minibatches used to compute loss and gradient
          during training.
        - num_epochs: The number of epochs to run for during training.
        - num_train_samples: Number of training samples used to check training
          accuracy; default is 1000; set to None to use entire training set.
        - num_val_samples: Number of validation samples to use to check val
          accuracy; default is None, which uses the entire validation set.
        - checkpoint_name: If not None, then save model checkpoints here every epoch.
        - print_every: Integer; the latest training loss is shown in the progress
          bar every print_every iterations.
        - verbose: Boolean; if set to false then no output will be printed
          during training.
        """
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)

        if kwargs:
            raise ValueError(f"Unrecognized arguments {', '.join(map(repr, kwargs))}")

        if not callable(self.update_rule):
            if self.update_rule not in optim.__all__:
                raise ValueError(f"Invalid update_rule {self.update_rule!r}: "
                                 f"use one of {optim.__all__} or a function")
            self.update_rule = getattr(optim, self.update_rule)

        self._reset()

    def _reset(self):
        """
        Set up some book-keeping variables for optimization. Don't call this manually.
        """
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []

        # Each parameter gets its own copy of optim_config, where its update rule keeps its state.
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """
        Make a single gradient update. This is called by train() and should not
        be called manually.
        """
        num_train = self.X_train.shape[0]
        batch_mask = np.random.choice(num_train, self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch_mask], self.y_train[batch_mask])
        self.loss_history.append(loss)

        for p, w in self.model.params.items():
            next_w, self.optim_configs[p] = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w

    def _save_checkpoint(self):
        """Pickle the model, the settings and the histories to {checkpoint_name}_epoch_{epoch}.pkl."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        with open(f"{self.checkpoint_name}_epoch_{self.epoch}.pkl", "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """
        Check accuracy of the model on the provided data.

        Inputs:
        - X: Array of data, of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,)
        - num_samples: If not None, subsample the data and only test the model
          on num_samples datapoints.
        - batch_size: Split X and y into batches of this size to avoid using
          too much memory.

        Returns:
        - acc: Scalar giving the fraction of instances that were correctly
          classified by the model.
        """
        n = X.shape[0]
        if num_samples is not None and n > num_samples:
            mask = np.random.choice(n, num_samples)
            n, X, y = num_samples, X[mask], y[mask]

        y_pred = [np.argmax(self.model.loss(X[start:start + batch_size]), axis=1)
                  for start in range(0, n, batch_size)]
        return np.mean(np.hstack(y_pred) == y)

    def train(self):
        """
        Run optimization to train the model.

        The accuracies are checked after the first iteration and at the end of
        every epoch; model.params ends as the parameters of the best validation accuracy.
        """
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        bar = _progress_bar(num_iterations, self.verbose)

        for t in range(num_iterations):
            self._step()
            if t % self.print_every == 0:
                bar.set_postfix(self._progress(), refresh=False)
            bar.update()

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay

            if t == 0 or epoch_end:
                self._check_accuracies()
                bar.set_postfix(self._progress(), refresh=False)

        bar.close()
        self.model.params = self.best_params
        if self.verbose:
            print(f"best validation accuracy {self.best_val_acc:.4f} "
                  f"after {self.epoch} / {self.num_epochs} epochs")

    def _check_accuracies(self):
        """Record the training and validation accuracies, save a checkpoint, keep the best params."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self._save_checkpoint()

        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}

    def _progress(self):
        """The latest loss and accuracies, as the progress bar's postfix."""
        return {"epoch": self.epoch, "loss": f"{self.loss_history[-1]:.4f}",
                "train_acc": f"{self.train_acc_history[-1]:.3f}" if self.train_acc_history else "-",
                "val_acc": f"{self.val_acc_history[-1]:.3f}" if self.val_acc_history else "-"}


def _progress_bar(total, verbose):
    """
    One progress bar over `total` iterations: a widget in a notebook, text on stderr otherwise.

    A text bar written to a log rather than a terminal (CI) is drawn in ASCII and
    redrawn at most every LOG_REFRESH_SECONDS. When verbose is False the bar is
    disabled: it shows nothing and its methods do nothing.
    """
    # tqdm.auto's tqdm is tqdm.asyncio's text bar unless it runs in a notebook.
    to_log = tqdm is console_tqdm and not sys.stderr.isatty()
    return tqdm(total=total, desc="training", unit="it", disable=not verbose,
                ascii=True if to_log else None, mininterval=LOG_REFRESH_SECONDS if to_log else 0.1)
