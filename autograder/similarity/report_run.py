"""The `similarity` verb: compare the code of an assignment's submissions and write the report."""
import sys

from ..course import CourseError
from ..reports.lock import reports_lock
from .compare import compare_submissions
from .page import write_similarity_report

SHOWN = 5  # pairs printed on the terminal


def similarity_report(*, course_dir, assignment, threshold=None, workers=None, scheduler=None, progress=False):
    """
    Compare the code of an assignment's submissions, write reports/<assignment>/similarity.html
    and print the flagged pairs.

    Inputs:
    - course_dir: The nbgrader course folder (pathlib.Path)
    - assignment: Assignment id
    - threshold: Similarity from 0 to 1 from which a pair is flagged (None: the course config's)
    - workers, scheduler: Local worker processes, or a Dask scheduler's address
    - progress: Show a progress bar

    Returns the exit status, 0.
    """
    if not course_dir.is_dir():
        raise CourseError(f"course folder {course_dir} does not exist")
    comparison = compare_submissions(course_dir, assignment, threshold=threshold,
                                     workers=workers, scheduler=scheduler, progress=progress)
    with reports_lock(course_dir, assignment):
        page = write_similarity_report(comparison, course_dir / "reports" / assignment)
    ranking = comparison.ranking
    for pair in ranking.pairs[:min(SHOWN, ranking.flagged)]:
        first, second = pair.similarity
        print(f"{pair.score:5.0%}  {pair.first.student} / {pair.second.student} ({first:.0%}, {second:.0%})")
    for student, lines in comparison.problems.items():
        for line in lines:
            print(f"{student}: {line}", file=sys.stderr)
    print(f"compared {len(comparison.students) - len(comparison.without_code)} of {len(comparison.students)} "
          f"submissions ({len(comparison.without_code)} without code of their own): {ranking.flagged} of "
          f"{len(ranking.scores)} pairs at or above {comparison.threshold:.0%}; report in {page}")
    return 0
