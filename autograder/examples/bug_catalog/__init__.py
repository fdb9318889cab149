"""The classic bugs planted in example submissions, per assignment.

Each bug is a few exact text edits of solution cells and the set of test cells
that must lose points because of it; every other graded cell must keep all its
points (tests/test_grade_assignments.py checks both). EXAMPLES maps an assignment to its bugs,
one module per assignment; CHEATS to its cheats (cheats.py), which stock nbgrader scores in full.
"""
from . import batchnorm
from . import mlp_batchnorm
from . import torch_batchnorm
from .batchnorm import WARNS_ON_STDERR
from .cheats import CHEATS
from .bugs import Bug, Edit

EXAMPLES = {
    "batchnorm": batchnorm.EXAMPLES,
    "mlp_batchnorm": mlp_batchnorm.EXAMPLES,
    "torch_batchnorm": torch_batchnorm.EXAMPLES,
}

__all__ = ["Bug", "CHEATS", "Edit", "EXAMPLES", "WARNS_ON_STDERR"]
