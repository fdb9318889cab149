"""The course's lock on an assignment's reports."""
import contextlib
import fcntl


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
