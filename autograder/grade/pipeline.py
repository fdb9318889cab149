"""The `grade` verb: grade an assignment (coordinator.grade_assignment), then write its reports and print its table."""
import shutil
import sys

from ..course import CourseError, nbgrader
from ..reports.gradescope import write_gradescope_results
from ..reports.lock import reports_lock
from ..reports.summary import write_class_summary
from ..verdict.calibration import kept_calibration
from .coordinator import grade_assignment, raise_for_course
from .gradebook import integrity_problems, load_config, resolve_db_url
from .sandbox import Limits
from .submissions import MAX_SUBMISSION_MB


def grade_and_report(*, course_dir, assignment, students=None, zip_file=None, workers=None, scheduler=None,
                     db=None, force=False, use_sandbox=True, limits=Limits(), max_submission_mb=MAX_SUBMISSION_MB,
                     progress=False):
    """
    Grade every submission of an assignment, then write nbgrader feedback, the CSV
    export, Gradescope results and the class summary; print one line per student.

    Inputs:
    - course_dir: The nbgrader course folder (pathlib.Path)
    - assignment: Assignment id
    - students: Student ids to grade, or None for all
    - zip_file: A learning-management-system download collected into submitted/ first, or None
    - workers, scheduler, db, force, use_sandbox, limits, max_submission_mb, progress:
      As for coordinator.grade_assignment

    Returns the exit status: 0, or 1 when the gradebook fails its integrity check.
    """
    raise_for_course(course_dir, assignment)
    if zip_file:
        collect_zip(course_dir, assignment, zip_file)
    outcomes = grade_assignment(course_dir, assignment, students=students, workers=workers, scheduler=scheduler,
                                db_url=db, force=force, use_sandbox=use_sandbox, limits=limits,
                                max_submission_mb=max_submission_mb, progress=progress)
    db_url = resolve_db_url(course_dir, load_config(course_dir), db)
    summary = write_reports(course_dir, assignment, outcomes, db_url)
    for outcome in outcomes:
        print(f"{outcome.student:<40} {outcome.status:<9} {outcome.score:7.2f}")
        for message in outcome.messages:
            print(f"    {message}")
    problems = integrity_problems(db_url, assignment)
    for problem in problems:
        print(f"gradebook integrity: {problem}", file=sys.stderr)
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    print(f"graded {len(outcomes)} submission(s), {failed} failed; feedback and results.json in "
          f"{course_dir / 'feedback'}, grades in {course_dir / 'grades.csv'}, class summary in {summary}")
    return 1 if problems else 0


def write_reports(course_dir, assignment, outcomes, db_url):
    """
    Write what grading an assignment produces beside the gradebook, under the course's reports lock:
    nbgrader feedback (of the students graded since their feedback was written), the CSV export
    (course_dir/grades.csv), each graded student's Gradescope results.json and the class summary.
    Returns the path of the summary page.
    """
    database = [f"--CourseDirectory.db_url={db_url}"]
    with reports_lock(course_dir, assignment):
        stale, current = _feedback_states(course_dir, assignment)
        if stale:
            # only those: regrading one student of a thousand rewrites one student's pages (nbgrader splits
            # the ids at commas, so an id holding one means that every page is rewritten)
            exclude = "" if any("," in student for student in current) else ",".join(current)
            nbgrader(course_dir, "generate_feedback", assignment, "--force",
                     f"--CourseDirectory.student_id_exclude={exclude}", *database)
        nbgrader(course_dir, "export", "--to", str(course_dir / "grades.csv"), *database)
        for outcome in outcomes:
            write_gradescope_results(course_dir, assignment, outcome.student, db_url=db_url)
        calibration = kept_calibration(course_dir, assignment)
        return write_class_summary(db_url, assignment, course_dir / "reports" / assignment,
                                   in_kernel=calibration.messages if calibration else ())


def _feedback_states(course_dir, assignment):
    """
    (stale, current): the students with autograded notebooks of the assignment whose nbgrader feedback is
    missing or older than their autograded files (graded since: in this run, or in one killed before
    its reports), and those whose feedback is newer. Grades changed by hand in formgrader are not
    seen here: its "generate feedback" (or `nbgrader generate_feedback --force`) rewrites those pages.
    """
    stale, current = [], []
    for graded in sorted((course_dir / "autograded").glob(f"*/{assignment}")):
        student = graded.parent.name
        pages = [path.stat().st_mtime for path in (course_dir / "feedback" / student / assignment).glob("*.html")]
        newest_grading = max((path.stat().st_mtime for path in graded.rglob("*") if path.is_file()), default=0)
        (current if pages and min(pages) >= newest_grading else stale).append(student)
    return stale, current


def collect_zip(course_dir, assignment, archive):
    """Put an LMS download zip where `nbgrader zip_collect` looks, and run it (submitted/ gains its students)."""
    if not archive.is_file():
        raise CourseError(f"{archive} is not a file")
    folder = course_dir / "downloaded" / assignment / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, folder / archive.name)
    nbgrader(course_dir, "zip_collect", assignment, "--force")
