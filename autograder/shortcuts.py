"""The course's rules against shortcuts: an assignment's answers may not delegate the exercise to a library.

Set in nbgrader_config.py as `c.Shortcuts.<rule>`, one entry per assignment id;
`Shortcuts(config=config)` reads them from a course's config
(gradebook.load_config) and checks their types. Each rule is one trait below.
"""
from traitlets import Dict, List, TraitError, Unicode
from traitlets.config import Configurable

from .course import CourseError


class Shortcuts(Configurable):
    """The shortcuts each assignment refuses, one trait per kind of rule."""

    hidden_libraries = Dict(
        key_trait=Unicode(), value_trait=List(Unicode()), default_value={},
        help="Libraries an assignment's answers may not use, by assignment id: {assignment: [import name, ...]}, "
             "e.g. {'batchnorm': ['torch', 'jax', 'tensorflow']}. While grading, the sandboxes that run a "
             "submission of that assignment (its notebooks, and the student's code judged outside the kernel) "
             "do not see these packages: `import torch` there raises ModuleNotFoundError.",
    ).tag(config=True)


def hidden_libraries(config, assignment):
    """
    The import names of the libraries the assignment's sandboxes hide (c.Shortcuts.hidden_libraries), sorted.

    Raises CourseError, in one line, when the course config's setting is not a dict of
    lists of names, or names something other than a top-level package ('torch', not 'torch.nn').
    """
    try:
        names = Shortcuts(config=config).hidden_libraries.get(assignment, ())
    except TraitError as error:
        reason = (str(error).strip().splitlines() or ["of the wrong type"])[0]
        raise CourseError(f"c.Shortcuts.hidden_libraries in the course config: {reason}") from None
    wrong = [name for name in names if not name.isidentifier()]
    if wrong:
        raise CourseError(f"c.Shortcuts.hidden_libraries[{assignment!r}] in the course config: {wrong[0]!r} is not "
                          f"the import name of a top-level package (such as 'torch')")
    return tuple(sorted(set(names)))
