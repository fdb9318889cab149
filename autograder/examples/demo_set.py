"""Which variants of the correct submission the demo grades, per assignment: a representative few, or the catalog.

The representative set is chosen to finish in the demo's time budget (3 minutes
of grading on 2 cores): beside the correct and the blank submission, two
classic bugs and the cheat of the assignment (bug_catalog/cheats.py), whose
bug is one of the two so that its score can be read against the honest one.
"""
from .bug_catalog import CHEATS, EXAMPLES
from .bug_catalog.bugs import find_bug

REPRESENTATIVE = {
    "batchnorm": ("bug-unbiased-variance", "bug-dx-missing-variance-term"),
    "mlp_batchnorm": ("bug-relu-derivative-at-zero", "bug-no-log-sum-exp"),
    "torch_batchnorm": ("bug-running-var-biased", "bug-unbiased-normalization"),
}


def demo_variants(assignment, everything=False):
    """
    The variants (bug_catalog.Bug) the demo submits beside the correct and the blank submission.

    Inputs:
    - assignment: Assignment id
    - everything: All of the catalog's bugs instead of the representative ones

    Returns the bugs, then the cheats. Raises KeyError when a representative bug left the catalog.
    """
    bugs = EXAMPLES[assignment]
    if not everything:
        bugs = tuple(find_bug(bugs, student) for student in REPRESENTATIVE[assignment])
    return bugs + CHEATS[assignment]
