"""Support code shared by the course's notebooks.

Students import from here; nothing in this package is an answer to an exercise.

- ``assignments.gradient_check``: numeric gradients (centered differences).
- ``assignments.measures``: ``rel_error``, ``print_mean_std`` and ``report``, which
  prints a visible check together with the range a correct answer falls in.
- ``assignments.grading``: ``Rubric``, the partial-credit bookkeeping used by the
  graded test cells, and the assertions they use.
- ``assignments.layers``: affine, ReLU, dropout and softmax-loss layers
  (``*_forward -> (out, cache)``, ``*_backward(dout, cache)``).
- ``assignments.fc_net``: ``FullyConnectedNetBase``, the fully connected network
  whose normalization hooks students write.
- ``assignments.optim`` and ``assignments.solver``: update rules and ``Solver``,
  which trains a model with a progress bar.
- ``assignments.plotting``: training histories and hyperparameter sweeps;
  ``assignments.curves``: per-epoch loss and error curves (MLPBatchNorm.ipynb).
- ``assignments.notebook_import``: ``names_from_notebook``, which lets one
  notebook reuse the functions a student wrote in another.
"""
from .failures import tell_stubs_in_one_line

tell_stubs_in_one_line()  # in a Jupyter kernel: a stub left unanswered stops its cell with one line, no traceback
