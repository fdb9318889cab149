"""The main job: rebuild the releases, grade the example submissions with plain nbgrader, report.

Grading happens in a separate course directory (default build/demo) so that the
example students never mix with an instructor's real gradebook in the
repository root.
"""
import time

from .course import ASSIGNMENTS, REPO_ROOT, new_course_dir, nbgrader
from .examples import write_submissions
from .release import copy_releases, generate_releases
from .reports.scores import format_table, score_table

DEMO_DIR = REPO_ROOT / "build" / "demo"


def run_demo(*, course_dir=DEMO_DIR, assignments=ASSIGNMENTS, update_repo=True, say=print):
    """
    Build releases and grade the example submissions of each assignment.

    Inputs:
    - course_dir: Folder to use as the grading course (emptied first)
    - assignments: Assignment ids to process
    - update_repo: Copy the rebuilt releases into the repository's release/
    - say: Where progress lines go

    Returns {assignment: (tests, rows)} as given by reports.scores.score_table.
    """
    course_dir = new_course_dir(course_dir, assignments)
    results = {}
    for assignment in assignments:
        step = _timer(say)
        generate_releases(course_dir, assignment)
        step(f"{assignment}: student and solution releases generated")
        students = write_submissions(course_dir, assignment)
        step(f"{assignment}: {len(students)} example submissions written")
        nbgrader(course_dir, "autograde", assignment, "--force")
        step(f"{assignment}: autograded ({len(students)} submissions)")
        nbgrader(course_dir, "generate_feedback", assignment, "--force")
        step(f"{assignment}: feedback written to {course_dir / 'feedback'}")
        results[assignment] = score_table(f"sqlite:///{course_dir / 'gradebook.db'}", assignment)
    if update_repo:
        copy_releases(course_dir, assignments)
        say(f"releases copied to {REPO_ROOT / 'release'}")
    nbgrader(course_dir, "export", "--to", str(course_dir / "grades.csv"))
    say(f"grades exported to {course_dir / 'grades.csv'}")
    for assignment, (tests, rows) in results.items():
        say(f"\nScores for {assignment}:\n{format_table(tests, rows)}")
    return results


def _timer(say):
    start = [time.perf_counter()]

    def step(message):
        now = time.perf_counter()
        say(f"[{now - start[0]:5.1f} s] {message}")
        start[0] = now
    return step
