"""Example submissions made from the releases: a correct one, a blank one and one per classic bug.

They are generated on every run, never hand-edited, so they follow the source
notebooks. A correct submission is the student release with each solution cell
taken from the solution release; a buggy one applies the exact text edits of a
bug from autograder/bug_catalog/ to those cells. An edit whose text or cell is
no longer there raises, so a changed solution cannot silently turn a bug into a
correct submission.
"""
import pathlib

import nbformat

from nbformat.v4 import new_code_cell

from .bug_catalog import EXAMPLES
from ..course import release_dir

CORRECT, BLANK = "correct", "blank"


def _cells_by_id(nb):
    return {cell.metadata["nbgrader"]["grade_id"]: cell
            for cell in nb.cells if "nbgrader" in cell.metadata}


def correct_notebook(student_nb, solution_nb):
    """The student release with every solution cell's source taken from the solution release."""
    nb = nbformat.from_dict(student_nb)
    solutions = _cells_by_id(solution_nb)
    for grade_id, cell in _cells_by_id(nb).items():
        if cell.metadata["nbgrader"].get("solution"):
            cell.source = solutions[grade_id].source
    return nb


def plant(nb, bug):
    """A copy of a correct notebook with those of the bug's edits that concern its cells applied."""
    nb = nbformat.from_dict(nb)
    cells = _cells_by_id(nb)
    for edit in bug.edits:
        if edit.cell not in cells:
            continue
        cell = cells[edit.cell]
        if edit.old not in cell.source:
            raise ValueError(f"{bug.student}: {edit.old!r} is not in cell {edit.cell!r}; "
                             "update autograder/bug_catalog/ to match the source notebook")
        cell.source = cell.source.replace(edit.old, edit.new)
    for added in bug.added:
        if added.before in cells:
            nb.cells.insert(nb.cells.index(cells[added.before]), new_code_cell(added.source))
    return nb


def example_notebooks(course_dir, assignment, variants=None):
    """
    The example submissions of an assignment, from the releases in course_dir:
    correct, blank, and one per variant of the correct one (default: the bug catalog's).

    Returns {student_id: {notebook file name: NotebookNode}}.
    """
    bugs = EXAMPLES.get(assignment, ()) if variants is None else variants
    students = {CORRECT: {}, BLANK: {}, **{bug.student: {} for bug in bugs}}
    cell_ids = set()
    for path in sorted(release_dir(course_dir, "student", assignment).glob("*.ipynb")):
        blank = nbformat.read(path, as_version=4)
        solution = nbformat.read(release_dir(course_dir, "solution", assignment) / path.name, as_version=4)
        correct = correct_notebook(blank, solution)
        students[BLANK][path.name] = blank
        students[CORRECT][path.name] = correct
        cell_ids.update(_cells_by_id(correct))
        for bug in bugs:
            students[bug.student][path.name] = plant(correct, bug)
    for bug in bugs:
        lost = sorted(({edit.cell for edit in bug.edits} | {added.before for added in bug.added}) - cell_ids)
        if lost:
            raise ValueError(f"{bug.student}: no notebook of {assignment!r} has cell(s) {', '.join(lost)}; "
                             "update autograder/bug_catalog/")
    return students


def write_submissions(course_dir, assignment, variants=None):
    """
    Write the example submissions (as example_notebooks) to course_dir/submitted/<student>/<assignment>/,
    with the files each variant submits beside its notebooks; return the student ids.
    """
    students = example_notebooks(course_dir, assignment, variants)
    files = {bug.student: bug.files for bug in (EXAMPLES.get(assignment, ()) if variants is None else variants)}
    for student, notebooks in students.items():
        folder = pathlib.Path(course_dir) / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / name)
        for name, text in files.get(student, ()):
            (folder / name).write_text(text)
    return list(students)
