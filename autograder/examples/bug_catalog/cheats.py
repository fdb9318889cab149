"""Cheats: a classic bug of the catalog hidden from the checks in the student's kernel, per assignment.

A cell of the student's own, just before the buggy solution cell, patches
assignments.grading.Rubric so that every test cell's score() returns its full
points whatever its checks found. Stock `nbgrader autograde` runs the hidden
tests in that kernel, so it gives the submission every point; the harness
judges each test cell outside the kernel, so the bug loses the points its
catalog entry says (`affected`) and the submission is flagged where the kernel
and the judge disagree. tests/test_demo.py checks both.
"""
from . import batchnorm, mlp_batchnorm, torch_batchnorm
from .bugs import AddedCell, Bug, find_bug

STUDENT = "cheat-patched-rubric"
PATCH = ("import assignments.grading\n"
         "assignments.grading.Rubric.score = lambda self: self.points  # every check passes, as far as nbgrader sees\n")


def patched_rubric(bug):
    """The bug, with the Rubric patched in a cell added before the first cell it edits."""
    return Bug(STUDENT, f"{bug.description}; Rubric.score patched to give full points",
               bug.edits, bug.affected, added=(AddedCell(bug.edits[0].cell, PATCH),))


CHEATS = {
    "batchnorm": (patched_rubric(find_bug(batchnorm.EXAMPLES, "bug-dx-missing-variance-term")),),
    "mlp_batchnorm": (patched_rubric(find_bug(mlp_batchnorm.EXAMPLES, "bug-relu-derivative-at-zero")),),
    "torch_batchnorm": (patched_rubric(find_bug(torch_batchnorm.EXAMPLES, "bug-running-var-biased")),),
}
