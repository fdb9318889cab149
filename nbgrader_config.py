"""nbgrader configuration of the course; every plain `nbgrader` command run from this folder reads it.

Layout: instructors edit `source/<assignment>/`; `nbgrader generate_assignment`
writes the student version to `release/student/<assignment>/` and
`nbgrader generate_solution` the solution version to `release/solution/<assignment>/`.
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    ClearHiddenTests, ClearMarkScheme, ClearOutput, GetGrades, IncludeHeaderFooter, LockCells)

from assignments.outcomes import STDERR_WARNINGS
from autograder.preprocessors import HideHiddenTests, RemoveSolutionMarkers

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "batchnorm-suite"
c.CourseDirectory.release_directory = "release/student"
c.CourseDirectory.solution_directory = "release/solution"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# The solution release: nbgrader's steps without Execute (committed releases carry
# no outputs), then hidden tests and solution markers removed. ClearHiddenTests must
# come after LockCells, which reads the cells' nbgrader metadata untouched.
c.GenerateSolution.preprocessors = [
    IncludeHeaderFooter,
    LockCells,
    ClearOutput,
    ClearMarkScheme,
    ClearHiddenTests,
    RemoveSolutionMarkers,
]

# Feedback: nbgrader's steps, then hidden-test code and tracebacks removed.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]

# A numpy warning on stderr would otherwise zero the test cell it appears in.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = STDERR_WARNINGS

# `nbgrader zip_collect` (and `python -m autograder grade --zip`): Canvas's download names,
# <student>_[late_]<id>_<id>_<notebook>[-<n>].ipynb; adapt the pattern to your LMS.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:late_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")

# Generous per-cell limit: the gradient checks of a slow but correct solution must finish.
c.Execute.timeout = 120

# `python -m autograder similarity`: the similarity from which a pair of submissions is flagged, the
# share of one's fingerprinted code found in the other (--threshold overrides it for one run).
c.Similarity.threshold = 0.5

# Libraries an assignment's answers may not use, by assignment id: `python -m autograder grade` hides them from
# the sandboxes that run a submission (`import torch` there raises ModuleNotFoundError). Top-level import names.
c.Shortcuts.hidden_libraries = {
    "batchnorm": ["torch", "jax", "tensorflow"],
    "mlp_batchnorm": ["torch", "jax", "tensorflow"],
}

# Library functions an assignment's answers may not call (dotted names). A submission that calls or imports one
# is flagged for review, and the feedback of the test cell that caught it says which (autograder/verdict/library_calls.py).
c.Shortcuts.flagged_calls = {
    "torch_batchnorm": ["torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm",
                        "torch.nn.BatchNorm1d", "torch.nn.BatchNorm2d", "torch.nn.BatchNorm3d",
                        "torch.nn.modules.batchnorm._BatchNorm"],
}
