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
"""
import copy


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def restore_structure(submitted, release):
    """
    Rebuild a submitted notebook on the release skeleton.

    Inputs:
    - submitted: The student's NotebookNode
    - release: The student release of the same notebook (NotebookNode)

    Returns (notebook, problems): a new NotebookNode, and one line per
    structural change found (missing, duplicated, reordered or unknown cells).
    """
    known = [_grade_id(cell) for cell in release.cells]
    answers, extras, problems = {}, {}, []
    seen_order, after = [], None
    for cell in submitted.cells:
        grade_id = _grade_id(cell)
        if grade_id in known:
            if grade_id in answers or grade_id in seen_order:
                problems.append(f"cell {grade_id!r} appears more than once: the first copy is graded")
                continue
            seen_order.append(grade_id)
            if release.cells[known.index(grade_id)].metadata["nbgrader"].get("solution"):
                answers[grade_id] = cell
            after = grade_id
        else:
            if grade_id is not None:
                problems.append(f"cell id {grade_id!r} is not in the assignment: run as an ordinary cell")
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
        grade_id = _grade_id(cell)
        chosen = copy.deepcopy(cell)
        if grade_id in answers:
            chosen.source = answers[grade_id].source
        rebuilt.cells.append(chosen)
        rebuilt.cells += extras.get(grade_id, [])
    return rebuilt, problems


def _ordinary(cell):
    """A copy of a cell without nbgrader metadata."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell
