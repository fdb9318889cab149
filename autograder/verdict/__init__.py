"""Out-of-kernel verdicts: each test cell, as the instructor wrote it, judged where the student's code cannot reach.

- ``judge``: runs the instructor's cells (setup and test cells, hidden tests
  included) in a trusted process; observe() in a test cell ships the observed
  function (``shipping``) to the student's side
- ``driver`` (in a sandbox) and ``driver_client``: the student's cells, run as
  their kernel ran them, answering observe requests with plain data
- ``run``: the judge run in a process of its own for one submission
- ``merge`` and ``check_lines``: the judge's outputs put into the executed
  notebook, and the checks on which the kernel and the judge disagree
- ``calibration``: the cells whose checks the solution passes outside the kernel
"""
