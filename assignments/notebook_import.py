"""Reuse functions written in another notebook of the same assignment.

A later notebook can build on what the student wrote earlier without asking
them to copy code across:

    vanilla = functions_from_notebook("BatchNormalization.ipynb", ["batchnorm_forward"])
    batchnorm_forward = vanilla["batchnorm_forward"]

Only the code cells whose nbgrader ``grade_id`` is one of the requested names
run (in notebook order, in one fresh namespace holding ``np``), so the other
notebook's tests, plots and experiments do not. Each of those cells must define
a function of the same name as its grade id, as the solution cells do. The path
is relative to the working directory, which is the notebook's own folder both
in Jupyter and when nbgrader autogrades it.
"""
import pathlib

import nbformat
import numpy as np


class NotebookImportError(Exception):
    """A function could not be taken from a notebook; the message says which notebook, cell and why."""


def functions_from_notebook(path, names):
    """
    Define the named functions by running their cells from a notebook.

    Inputs:
    - path: The notebook file, e.g. "BatchNormalization.ipynb"
    - names: Grade ids of the solution cells to run; each cell must define a
      function with the same name

    Returns a dict {name: function}, in the order of names.

    Raises NotebookImportError when the notebook is missing or unreadable, when
    no code cell has one of the grade ids, when a cell raises while it runs, or
    when it does not define a function of its name.
    """
    path = pathlib.Path(path)
    names = list(names)
    if not path.is_file():
        raise NotebookImportError(
            f"no notebook {str(path)!r} in {str(pathlib.Path.cwd())!r}; "
            "keep this notebook in the same folder as the one it imports from")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        raise NotebookImportError(f"{path.name} could not be read: {type(error).__name__}: {error}") from error

    cells = [cell for cell in nb.cells if cell.cell_type == "code"
             and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in names]
    missing = [name for name in names if name not in {c.metadata["nbgrader"]["grade_id"] for c in cells}]
    if missing:
        raise NotebookImportError(
            f"{path.name} has no code cell with grade id {', '.join(map(repr, missing))}; "
            "restore the cell from the release (its metadata must be unchanged)")

    namespace = {"__name__": f"notebook:{path.stem}", "np": np}
    for cell in cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        try:
            exec(compile(cell.source, f"<{path.name}, cell {grade_id}>", "exec"), namespace)
        except Exception as error:
            raise NotebookImportError(
                f"cell {grade_id!r} of {path.name} raised {type(error).__name__}: {error}") from error

    functions = {}
    for name in names:
        value = namespace.get(name)
        if not callable(value):
            raise NotebookImportError(f"cell {name!r} of {path.name} ran but does not define a function {name}()")
        functions[name] = value
    return functions
