"""`python -m autograder grade`: the command around grade.grade_assignment, its reports and its summary table."""
import contextlib
import dataclasses
import fcntl
import shutil
import sys

from . import sandbox
from .course import CourseError, nbgrader
from .grade import grade_assignment, raise_for_course
from .gradebook import integrity_problems, load_config, resolve_db_url
from .reports import write_class_summary, write_gradescope_results
from .verdict.calibration import kept_calibration


def run_grade(args):
    """Grade, then write nbgrader feedback and the CSV export; print one line per student. Exit status 0 or 1."""
    raise_for_course(args.course_dir, args.assignment)
    if args.zip:
        collect_zip(args.course_dir, args.assignment, args.zip)
    limits = sandbox.Limits(**{field.name: getattr(args, field.name) for field in dataclasses.fields(sandbox.Limits)})
    outcomes = grade_assignment(args.course_dir, args.assignment, students=args.student, workers=args.workers,
                                scheduler=args.scheduler, db_url=args.db, force=args.force,
                                use_sandbox=not args.no_sandbox, limits=limits,
                                max_submission_mb=args.max_submission_mb, progress=sys.stderr.isatty())
    db_url = resolve_db_url(args.course_dir, load_config(args.course_dir), args.db)
    database = [f"--CourseDirectory.db_url={db_url}"]
    with reports_lock(args.course_dir, args.assignment):
        nbgrader(args.course_dir, "generate_feedback", args.assignment, "--force", *database)
        nbgrader(args.course_dir, "export", "--to", str(args.course_dir / "grades.csv"), *database)
        for outcome in outcomes:
            write_gradescope_results(args.course_dir, args.assignment, outcome.student, db_url=db_url)
        calibration = kept_calibration(args.course_dir, args.assignment)
        summary = write_class_summary(db_url, args.assignment, args.course_dir / "reports" / args.assignment,
                                      in_kernel=calibration.messages if calibration else ())
    for outcome in outcomes:
        print(f"{outcome.student:<40} {outcome.status:<9} {outcome.score:7.2f}")
        for message in outcome.messages:
            print(f"    {message}")
    problems = integrity_problems(db_url, args.assignment)
    for problem in problems:
        print(f"gradebook integrity: {problem}", file=sys.stderr)
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    print(f"graded {len(outcomes)} submission(s), {failed} failed; feedback and results.json in "
          f"{args.course_dir / 'feedback'}, grades in {args.course_dir / 'grades.csv'}, class summary in {summary}")
    return 1 if problems else 0


@contextlib.contextmanager
def reports_lock(course_dir, assignment):
    """
    Hold the course's lock on an assignment's reports: graders run at once (on one
    gradebook) take turns writing feedback, the export and the summary, since
    `nbgrader generate_feedback --force` deletes a student's pages before writing them anew.
    """
    folder = course_dir / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        yield


def collect_zip(course_dir, assignment, archive):
    """Put an LMS download zip where `nbgrader zip_collect` looks, and run it (submitted/ gains its students)."""
    if not archive.is_file():
        raise CourseError(f"{archive} is not a file")
    folder = course_dir / "downloaded" / assignment / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, folder / archive.name)
    nbgrader(course_dir, "zip_collect", assignment, "--force")
