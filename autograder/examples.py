"""Example submissions made from the releases: a correct one, a blank one and one per classic bug.

They are generated on every run, never hand-edited, so they follow the source
notebook. A correct submission is the student release with each solution cell
taken from the solution release; a buggy one applies a few exact text edits to
those cells. An edit whose text is no longer in the cell raises, so a changed
solution cannot silently turn a bug into a correct submission.
"""
import dataclasses
import pathlib

import nbformat

from .course import release_dir


@dataclasses.dataclass(frozen=True)
class Edit:
    """Replace every occurrence of `old` (at least one) by `new` in one solution cell."""
    cell: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class Bug:
    """
    A classic mistake planted in an otherwise correct submission.

    - student: The example student's id
    - description: The mistake, in a few words
    - edits: The text edits that plant it
    - affected: Grade ids of the test cells that must lose points; all others keep
      theirs (empty for a variant that must keep every point)
    """
    student: str
    description: str
    edits: tuple
    affected: frozenset


BATCHNORM_BUGS = (
    Bug("bug-unbiased-variance", "variance divided by N - 1 instead of N",
        (Edit("batchnorm_forward", "var = np.mean(xc * xc, axis=0)",
              "var = np.sum(xc * xc, axis=0) / (N - 1)"),),
        frozenset({"test_forward_train", "test_running_averages", "test_backward", "test_backward_alt"})),
    Bug("bug-eps-outside-sqrt", "eps added to the standard deviation instead of the variance",
        (Edit("batchnorm_forward", "np.sqrt(var + eps)", "np.sqrt(var) + eps"),
         Edit("batchnorm_forward", "np.sqrt(running_var + eps)", "np.sqrt(running_var) + eps")),
        frozenset({"test_forward_train", "test_test_mode", "test_backward", "test_backward_alt"})),
    Bug("bug-reversed-running-average", "running average weights the new batch by momentum",
        (Edit("batchnorm_forward", "momentum * running_mean + (1 - momentum) * mu",
              "(1 - momentum) * running_mean + momentum * mu"),
         Edit("batchnorm_forward", "momentum * running_var + (1 - momentum) * var",
              "(1 - momentum) * running_var + momentum * var")),
        frozenset({"test_running_averages"})),
    Bug("bug-test-mode-batch-stats", "test mode normalizes with the batch statistics",
        (Edit("batchnorm_forward", "std = np.sqrt(running_var + eps)\n",
              "std = np.sqrt(x.var(axis=0) + eps)\n"),
         Edit("batchnorm_forward", "out = gamma * (x - running_mean) / std + beta",
              "out = gamma * (x - x.mean(axis=0)) / std + beta")),
        frozenset({"test_test_mode"})),
    Bug("bug-dx-missing-variance-term", "dx ignores the path through the variance",
        (Edit("batchnorm_backward", "    dxc += (2.0 / N) * xc * dvar\n", ""),),
        frozenset({"test_backward", "test_backward_alt"})),
    Bug("bug-dgamma-from-x", "dgamma computed from x instead of x-hat",
        (Edit("batchnorm_backward", "np.sum(dout * xhat, axis=0)", "np.sum(dout * x, axis=0)"),
         Edit("batchnorm_backward_alt", "np.sum(dout * xhat, axis=0)", "np.sum(dout * x, axis=0)")),
        frozenset({"test_backward", "test_backward_alt"})),
    Bug("bug-running-stats-not-written-back", "running averages computed but not stored in bn_param",
        (Edit("batchnorm_forward", 'bn_param["running_mean"] = momentum', "running_mean = momentum"),
         Edit("batchnorm_forward", 'bn_param["running_var"] = momentum', "running_var = momentum")),
        frozenset({"test_running_averages"})),
)

# Not a mistake: numpy warnings on stderr must not cost points (nbgrader_config.py, IgnorePattern).
WARNS_ON_STDERR = Bug(
    "warns-on-stderr", "correct, but numpy prints a RuntimeWarning on stderr",
    (Edit("batchnorm_forward", "        mu = x.mean(axis=0)\n",
          "        mu = x.mean(axis=0)\n        np.log(np.zeros(1))  # numpy warns: divide by zero\n"),),
    frozenset())

EXAMPLES = {"batchnorm": BATCHNORM_BUGS + (WARNS_ON_STDERR,)}
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
    """A copy of a correct notebook with the bug's edits applied."""
    nb = nbformat.from_dict(nb)
    cells = _cells_by_id(nb)
    for edit in bug.edits:
        cell = cells[edit.cell]
        if edit.old not in cell.source:
            raise ValueError(f"{bug.student}: {edit.old!r} is not in cell {edit.cell!r}; "
                             "update autograder/examples.py to match the source notebook")
        cell.source = cell.source.replace(edit.old, edit.new)
    return nb


def example_notebooks(course_dir, assignment):
    """
    The example submissions of an assignment, from the releases in course_dir.

    Returns {student_id: {notebook file name: NotebookNode}}.
    """
    bugs = EXAMPLES.get(assignment, ())
    students = {CORRECT: {}, BLANK: {}, **{bug.student: {} for bug in bugs}}
    for path in sorted(release_dir(course_dir, "student", assignment).glob("*.ipynb")):
        blank = nbformat.read(path, as_version=4)
        solution = nbformat.read(release_dir(course_dir, "solution", assignment) / path.name, as_version=4)
        correct = correct_notebook(blank, solution)
        students[BLANK][path.name] = blank
        students[CORRECT][path.name] = correct
        cell_ids = _cells_by_id(correct)
        for bug in bugs:
            touched = any(edit.cell in cell_ids for edit in bug.edits)
            students[bug.student][path.name] = plant(correct, bug) if touched else correct
    return students


def write_submissions(course_dir, assignment):
    """Write the example submissions to course_dir/submitted/<student>/<assignment>/; return the student ids."""
    students = example_notebooks(course_dir, assignment)
    for student, notebooks in students.items():
        folder = pathlib.Path(course_dir) / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / name)
    return list(students)
