"""The code a student wrote, taken out of the submitted notebooks; the code given to everyone left out.

A student writes in solution cells (nbgrader metadata solution: true) and in
cells of their own (no nbgrader metadata). Everything else is the release's
code, which every submission shares, and so are the lines of a solution cell
that the release already has (the signature, the docstring, the given lines
around the stub): only the lines the student added or changed are kept.
"""
import difflib

import nbformat

from ..grade.submissions import parse_notebook

ADDED = "added cell"


def release_solutions(release_notebooks):
    """
    {grade_id: source} of the solution code cells of an assignment's student release.

    Inputs:
    - release_notebooks: An iterable of NotebookNode, the release's notebooks
    """
    return {cell.metadata.nbgrader["grade_id"]: cell.source
            for nb in release_notebooks for cell in nb.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}


def release_code(release_notebooks):
    """The source of every code cell of the release's notebooks (the boilerplate), one string per cell."""
    return [cell.source for nb in release_notebooks for cell in nb.cells if cell.cell_type == "code"]


def written_cells(nb, solutions):
    """
    The code of one submitted notebook that the student wrote.

    Inputs:
    - nb: A NotebookNode of the submission
    - solutions: {grade_id: source} of the release's solution cells (release_solutions)

    Returns a list, in notebook order, of (label, code): label is the solution
    cell's grade id or 'added cell'; code is the whole of an added cell, and the
    lines of a solution cell that its release version does not have (runs of
    them separated by a line '# ...'). Cells with nothing written are left out,
    and so are the release's other cells (tests, setup, experiments).
    """
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type != "code":
            continue
        if meta is None:
            written = cell.source
            label = ADDED
        elif meta.get("solution"):
            written = new_lines(cell.source, solutions.get(meta.get("grade_id"), ""))
            label = meta.get("grade_id")
        else:
            continue
        if written.strip():
            cells.append((label, written))
    return cells


def new_lines(source, release_source):
    """The lines of source that release_source does not have, as difflib matches them; runs separated by '# ...'."""
    lines, given = source.splitlines(), release_source.splitlines()
    runs = difflib.SequenceMatcher(None, given, lines, autojunk=False).get_opcodes()
    return "\n# ...\n".join("\n".join(lines[start:end]) for tag, _, _, start, end in runs
                             if tag in ("insert", "replace") and "".join(lines[start:end]).strip())


def student_code(notebooks, solutions):
    """
    The code a student wrote, as one Python text for fingerprinting and for display.

    Inputs:
    - notebooks: {file name: notebook file bytes} of one submission (untrusted: any bytes)
    - solutions: {grade_id: source} of the release's solution cells

    Returns (code, problems): code is the written cells, each under a comment
    '# <notebook>: <label>' (comments never count as code), '' when the student
    wrote nothing; problems lists one line per notebook that could not be read.
    """
    parts, problems = [], []
    for name, raw in sorted(notebooks.items()):
        nb, problem = parse_notebook(name, raw)
        if problem:
            problems.append(problem)
        if nb is None:
            continue
        try:
            parts += [f"# {name}: {label}\n{source.rstrip()}\n" for label, source in written_cells(nb, solutions)]
        except (AttributeError, KeyError, TypeError) as error:  # cells or metadata of the wrong shape
            problems.append(f"{name} has cells that cannot be read ({type(error).__name__}); left out")
    return "\n".join(parts), problems


def read_release(folder):
    """The notebooks of a release folder, sorted by name, as NotebookNodes."""
    return [nbformat.read(path, as_version=4) for path in sorted(folder.glob("*.ipynb"))]
