"""Trusted verdicts: the student's functions called outside the student's kernel and checked here.

- ``verdict``: ``trusted_verdict(notebooks, assignment=..., run=..., seed=..., workdir=...)``, the entry point
- ``extract``: graded cells and solution code from the notebooks
- ``driver``: the standalone script that runs in the sandbox (numpy and the standard library; torch
  only when a request builds tensors)
- ``request``, ``replies``: the two halves of the driver's plain-data protocol
- ``checks``: the checks per assignment and graded cell (batchnorm: ``batchnorm_cells``, ``spatial_cells``,
  built from ``layer_checks`` and ``network_checks``; mlp_batchnorm: ``mlp_cells``), scored by ``scoring``
- ``reference``, ``mlp_reference``, ``numeric``, ``expect``: reference implementations, numeric gradients,
  assertions
"""
