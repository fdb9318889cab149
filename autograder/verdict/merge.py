"""The out-of-kernel verdict put into the executed notebook, where nbgrader reads grades from.

The student's kernel ran each test cell with its hidden tests removed; the
judge ran the whole cell outside the kernel. For each judged cell the
autograded notebook gets the cell's whole source and the judge's outputs, so
that nbgrader's own grade-saving steps score the cell from them, and feedback
shows what the checks printed outside the kernel.
"""
import nbformat

from assignments.notebook_cells import is_test_cell, nbgrader_meta

from .check_lines import disagreements


def merge_verdict(executed, complete, judged, in_kernel=frozenset()):
    """
    Put the judge's outputs into an executed notebook.

    Inputs:
    - executed: The NotebookNode the kernel ran (hidden tests removed); modified in place
    - complete: The same notebook with every test cell whole (hidden tests included)
    - judged: {grade id: [nbformat output dicts]} from the judge
    - in_kernel: Grade ids graded in the kernel (their outputs and sources stay the kernel's)

    Returns [(grade id, line), ...]: the checks whose outcome differs between the kernel and the judge.
    """
    sources = {nbgrader_meta(cell).get("grade_id"): cell.source for cell in complete.cells if is_test_cell(cell)}
    differences = []
    for cell in executed.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not is_test_cell(cell) or grade_id in in_kernel or grade_id not in judged:
            continue
        differences += [(grade_id, line) for line in disagreements(cell.get("outputs", []), judged[grade_id])]
        cell.source = sources.get(grade_id, cell.source)
        cell.outputs = [nbformat.from_dict(output) for output in judged[grade_id]]
    return differences
