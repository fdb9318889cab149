"""Support code shared by the course's notebooks.

Students import from here; nothing in this package is an answer to an exercise.

- ``assignments.gradient_check``: numeric gradients (centered differences).
- ``assignments.checks``: ``rel_error``, ``print_mean_std`` and the helpers that
  print a visible check together with the range a correct answer falls in.
- ``assignments.grading``: ``Rubric``, the partial-credit bookkeeping used by the
  graded test cells.
"""
