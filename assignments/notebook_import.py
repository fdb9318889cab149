"""Reuse what a student wrote in another notebook of the same assignment.

A later notebook builds on the earlier one without asking the student to copy
code across; its setup cell does

    globals().update(names_from_notebook("BatchNormalization.ipynb",
                                         ["batchnorm_forward", "batchnorm_backward_alt"]))

The other notebook's code cells run as its own kernel ran them
(`assignments.notebook_cells`): the setup cell's imports, the solution cells,
every cell the student added and the helpers in them, magics handled as
IPython does; only its graded test cells and the cells tagged to run in the
kernel only (the experiments) are left out. The path is relative to the
working directory, which is the notebook's own folder both in Jupyter and when
nbgrader autogrades it.

In the grader's trusted process, where no student code runs, it returns {}: the
names are then looked up where the student's code runs (see assignments.observing).
"""
import pathlib

from . import observing
from .notebook_cells import CellRunner, nbgrader_meta, read_cells, student_code_cells


class NotebookImportError(Exception):
    """Names could not be taken from a notebook; the message says which notebook, name and why."""


def names_from_notebook(path, names):
    """
    Run another notebook's student code cells and return the names asked for.

    Inputs:
    - path: The notebook file, e.g. "BatchNormalization.ipynb"
    - names: The names (functions, classes, values) to return

    Returns a dict {name: value}, in the order of names; {} in the grader's trusted process.

    Raises NotebookImportError when the notebook is missing or unreadable, or when
    a name is not defined once its cells have run (the message quotes the error
    of each cell that raised).
    """
    if observing.judging():
        return {}
    path = pathlib.Path(path)
    if not path.is_file():
        raise NotebookImportError(
            f"no notebook {str(path)!r} in {str(pathlib.Path.cwd())!r}; "
            "keep this notebook in the same folder as the one it imports from")
    try:
        cells = read_cells(path)
    except (OSError, ValueError) as error:
        raise NotebookImportError(f"{path.name} could not be read: {type(error).__name__}: {error}") from error

    namespace = {}
    runner = CellRunner(namespace, path.name)
    errors = []
    for index, cell in enumerate(student_code_cells(cells)):
        error = runner.run(cell["source"], nbgrader_meta(cell).get("grade_id", index))
        if error is not None:
            errors.append(f"{type(error).__name__}: {error}")
    missing = [name for name in names if name not in namespace]
    if missing:
        raised = f"; its cells raised: {' | '.join(errors)}" if errors else ""
        raise NotebookImportError(f"{path.name} does not define {', '.join(missing)} once its cells have run{raised}")
    return {name: namespace[name] for name in names}
