"""What a planted bug is: exact text edits of solution cells, and the test cells that must lose points."""
import dataclasses


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
