"""Trusted checks and the points they earn, like assignments.grading.Rubric but outside the student's kernel."""
import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Check:
    """
    One named, weighted check of a graded cell.

    - description: What it verifies (the test cell's wording)
    - verify: Called after the driver has run; raises (AssertionError or anything
      else, the student's values may be of any type) when the check fails
    - weight: Its share of the cell's points relative to the cell's other checks
    """
    description: str
    verify: Callable[[], object]
    weight: float = 1.0


@dataclasses.dataclass(frozen=True)
class CellVerdict:
    """
    The trusted score of one graded cell.

    - score: points * (weight of the checks passed) / (weight of all its checks), rounded as Rubric rounds
    - max_score: The cell's points
    - checks: (description, passed, message) per check, message empty when it passed
    """
    score: float
    max_score: float
    checks: list


def score_cell(points, checks):
    """Run each check's verify and score the cell."""
    results = [(check, *_outcome(check)) for check in checks]
    total = sum(check.weight for check in checks)
    passed = sum(check.weight for check, ok, _ in results if ok)
    score = round(points * passed / total, 2) if total else 0.0
    return CellVerdict(score, points, [(check.description, ok, message) for check, ok, message in results])


def failed_cell(points, checks, message):
    """The verdict of a cell none of whose checks could run: 0 points, each check failed with message."""
    return CellVerdict(0.0, points, [(check.description, False, message) for check in checks])


def _outcome(check):
    """(passed, message) of one check."""
    try:
        check.verify()
    except AssertionError as error:
        return False, str(error)
    except Exception as error:  # a malformed student value (wrong type, wrong length) fails the check
        return False, f"{type(error).__name__}: {error}"
    return True, ""
