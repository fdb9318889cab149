"""`python -m autograder similarity`: compare the code of an assignment's submissions and write the report."""
import argparse
import pathlib
import sys

from ..course import CourseError
from . import DEFAULT_THRESHOLD

SHOWN = 5  # pairs printed on the terminal


def _fraction(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def add_similarity_parser(commands, positive):
    """Add the `similarity` subcommand to an argparse subparsers object; positive(int) parses --workers."""
    parser = commands.add_parser(
        "similarity", help="which submissions share their code: reports/ASSIGNMENT/similarity.html",
        description="Compare the code students wrote (solution cells and added cells, never the release's) across "
                    "every submitted/<student>/ASSIGNMENT/, without running it, and write "
                    "reports/ASSIGNMENT/similarity.html: pairs ranked by similarity, side by side with the shared "
                    "code highlighted, and a histogram of every pair.")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment id, e.g. batchnorm")
    parser.add_argument("--course-dir", type=pathlib.Path, default=pathlib.Path.cwd(),
                        help="the nbgrader course folder (default: the current folder, as for nbgrader)")
    parser.add_argument("--threshold", type=_fraction, metavar="T",
                        help="similarity from 0 to 1 from which a pair is flagged (default: the course config's "
                             f"c.Similarity.threshold, else {DEFAULT_THRESHOLD:g})")
    parser.add_argument("--workers", type=positive(int), metavar="N",
                        help="local worker processes (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask scheduler, e.g. tcp://10.0.0.5:8786, to fingerprint on its workers")
    return parser


def run_similarity(args):
    """Compare, write the report, print the flagged pairs. Exit status 0."""
    from ..grade_command import reports_lock  # the heavy imports (nbgrader, copydetect) only when it runs
    from .compare import compare_submissions
    from .page import write_similarity_report
    if not args.course_dir.is_dir():
        raise CourseError(f"course folder {args.course_dir} does not exist")
    comparison = compare_submissions(args.course_dir, args.assignment, threshold=args.threshold,
                                     workers=args.workers, scheduler=args.scheduler, progress=sys.stderr.isatty())
    with reports_lock(args.course_dir, args.assignment):
        page = write_similarity_report(comparison, args.course_dir / "reports" / args.assignment)
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
