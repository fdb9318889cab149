"""The course's rules against shortcuts: an assignment's answers may not delegate the exercise to a library.

Set in nbgrader_config.py as `c.Shortcuts.<rule>`, one entry per assignment id;
`Shortcuts(config=config)` reads them from a course's config
(gradebook.load_config) and checks their types. Each rule is one trait below.
"""
from traitlets import Dict, List, TraitError, Unicode
from traitlets.config import Configurable

from ..course import CourseError


class Shortcuts(Configurable):
    """The shortcuts each assignment refuses, one trait per kind of rule."""

    hidden_libraries = Dict(
        key_trait=Unicode(), value_trait=List(Unicode()), default_value={},
        help="Libraries an assignment's answers may not use, by assignment id: {assignment: [import name, ...]}, "
             "e.g. {'batchnorm': ['torch', 'jax', 'tensorflow']}. While grading, the sandboxes that run a "
             "submission of that assignment (its notebooks, and the student's code judged outside the kernel) "
             "do not see these packages: `import torch` there raises ModuleNotFoundError.",
    ).tag(config=True)

    flagged_calls = Dict(
        key_trait=Unicode(), value_trait=List(Unicode()), default_value={},
        help="Library functions an assignment's answers may not call, by assignment id: {assignment: [dotted name, "
             "...]}, e.g. {'torch_batchnorm': ['torch.nn.functional.batch_norm']}. A submission whose cells import "
             "or refer to one, or whose code calls one while a test cell observes it, is flagged for review, and "
             "the feedback of that test cell says which (autograder/verdict/library_calls.py).",
    ).tag(config=True)


def flagged_calls(config, assignment):
    """The dotted names of the library functions the assignment's answers may not call (c.Shortcuts.flagged_calls)."""
    return tuple(sorted(set(_rule(config, "flagged_calls").get(assignment, ()))))


def _rule(config, name):
    """One rule of the course config, checked; raises CourseError in one line when it has the wrong type."""
    try:
        return getattr(Shortcuts(config=config), name)
    except TraitError as error:
        reason = (str(error).strip().splitlines() or ["of the wrong type"])[0]
        raise CourseError(f"c.Shortcuts.{name} in the course config: {reason}") from None


def hidden_libraries(config, assignment):
    """
    The import names of the libraries the assignment's sandboxes hide (c.Shortcuts.hidden_libraries), sorted.

    Raises CourseError, in one line, when the course config's setting is not a dict of
    lists of names, or names something other than a top-level package ('torch', not 'torch.nn').
    """
    names = _rule(config, "hidden_libraries").get(assignment, ())
    wrong = [name for name in names if not name.isidentifier()]
    if wrong:
        raise CourseError(f"c.Shortcuts.hidden_libraries[{assignment!r}] in the course config: {wrong[0]!r} is not "
                          f"the import name of a top-level package (such as 'torch')")
    return tuple(sorted(set(names)))
