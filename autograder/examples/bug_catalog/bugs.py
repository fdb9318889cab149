"""What a planted bug (or honest habit) is: exact text edits of solution cells, cells and files the student
added, and the test cells that must lose points."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Edit:
    """Replace every occurrence of `old` (at least one) by `new` in one solution cell."""
    cell: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class AddedCell:
    """A code cell of the student's own (no nbgrader metadata), inserted just before the cell `before`."""
    before: str
    source: str


@dataclasses.dataclass(frozen=True)
class Bug:
    """
    A classic mistake planted in an otherwise correct submission.

    - student: The example student's id
    - description: The mistake, in a few words
    - edits: The text edits that plant it
    - affected: Grade ids of the test cells that must lose points; all others keep
      theirs (empty for a variant that must keep every point, such as an honest habit)
    - added: AddedCell of the student's own
    - files: (file name, text) pairs submitted beside the notebooks
    """
    student: str
    description: str
    edits: tuple
    affected: frozenset
    added: tuple = ()
    files: tuple = ()


def find_bug(bugs, student):
    """The Bug of `student` among bugs; raises KeyError naming it when there is none (a renamed catalog entry)."""
    for bug in bugs:
        if bug.student == student:
            return bug
    raise KeyError(f"no bug {student!r} in the catalog")
