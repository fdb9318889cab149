"""Put a submitted notebook back on the release's skeleton before nbgrader sanitizes it.

nbgrader grades cells by grade id wherever they are, and trusts the submitted
notebook's structure: deleted test cells go ungraded, a duplicated solution cell
runs twice, cells with edited ids confuse it. Here the graded notebook is
rebuilt from the release version, cell by cell in the release's order: each
solution cell takes its source from the submission (the first cell with that
id); every other release cell is the release's own (nbgrader then restores the
tests, hidden ones included, from the gradebook). Cells the student added
(no nbgrader metadata, or an id the release does not know, demoted to an
ordinary cell) are kept, after the release cell they followed.

Only what a student's cell says as text is taken from it: its source and,
for an added cell, its type. Metadata of the wrong types (a string where
nbgrader writes a dict, a number for a grade id) count as none.
"""
import copy

from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell


def grade_id(cell):
    """A cell's nbgrader grade id (a str), or None: also when the cell or its metadata are not of the types nbformat and nbgrader write."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    found = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return found if isinstance(found, str) else None


def _text(source):
    """A cell's source as one str: nbformat's list of lines joined; anything else (a number, a dict) is no text."""
    if isinstance(source, list):
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""


def restore_structure(submitted, release):
    """
    Rebuild a submitted notebook on the release skeleton.

    Inputs:
    - submitted: The student's NotebookNode
    - release: The student release of the same notebook (NotebookNode)

    Returns (notebook, problems): a new NotebookNode, and one line per
    structural change found (missing, duplicated, reordered or unknown cells).
    """
    known = [grade_id(cell) for cell in release.cells]
    answers, extras, problems = {}, {}, []
    seen_order, after = [], None
    cells = submitted.get("cells")
    cells = [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []
    for cell in cells:
        cell_id = grade_id(cell)
        if cell_id in known:
            if cell_id in answers or cell_id in seen_order:
                problems.append(f"cell {cell_id!r} appears more than once: the first copy is graded")
                continue
            seen_order.append(cell_id)
            if release.cells[known.index(cell_id)].metadata["nbgrader"].get("solution"):
                answers[cell_id] = cell
            after = cell_id
        else:
            if cell_id is not None:
                problems.append(f"cell id {cell_id!r} is not in the assignment: run as an ordinary cell")
            extras.setdefault(after, []).append(_ordinary(cell))
    expected_order = [g for g in known if g in seen_order]
    if seen_order != expected_order:
        problems.append("cells were reordered: graded in the assignment's order")
    missing = [g for g in known if g is not None and g not in seen_order]
    if missing:
        problems.append(f"cells missing from the submission, restored from the release: {', '.join(missing)}")

    rebuilt = copy.deepcopy(release)
    rebuilt.cells = list(extras.get(None, []))
    for cell in release.cells:
        cell_id = grade_id(cell)
        chosen = copy.deepcopy(cell)
        if cell_id in answers:
            chosen.source = _text(answers[cell_id].get("source"))
        rebuilt.cells.append(chosen)
        rebuilt.cells += extras.get(cell_id, [])
    return rebuilt, problems


def _ordinary(cell):
    """A new cell with the type (code, raw, else markdown) and source of one the student added; no metadata."""
    kind = cell.get("cell_type")
    make = new_code_cell if kind == "code" else new_raw_cell if kind == "raw" else new_markdown_cell
    return make(_text(cell.get("source")))
