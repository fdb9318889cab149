"""`python -m autograder grade`: grade every submission of an assignment, in parallel, sandboxed, resumably.

For each student the coordinator (this process, the only one that writes the
gradebook) reads the submission, runs nbgrader's sanitizing steps, sends the
job to a worker, and when the result comes back saves the grades with
nbgrader's grade-saving steps, lets the trusted verdict win where it disagrees
with the in-kernel tests, writes `autograded/<student>/<assignment>/` and,
last, a marker file. A student with a marker is done: a rerun after a crash
(even `kill -9`) grades only the others, and regrading one is idempotent, since
nbgrader keeps one grade row per cell. `force=True` regrades everyone.
"""
import dataclasses
import hashlib
import json
import os
import pathlib

import nbformat
from nbgrader.api import Gradebook
from nbgrader.utils import determine_grade, is_grade
from tqdm.auto import tqdm

from . import gradebook, sandbox, submissions
from .course import CourseError
from .structure import restore_structure
from .workers import limits_dict, worker_pool

MARKER = ".harness.json"


@dataclasses.dataclass
class Outcome:
    """What happened to one submission: status 'graded', 'problems', 'flagged' or 'failed', and why."""
    student: str
    status: str
    messages: list
    score: float = 0.0


def grade_assignment(course_dir, assignment, *, students=None, workers=None, scheduler=None, db_url=None,
                     force=False, use_sandbox=True, limits=sandbox.Limits(), progress=True):
    """
    Grade the submissions of one assignment of an nbgrader course.

    Inputs:
    - course_dir: The nbgrader course folder (holds nbgrader_config.py, source/, submitted/)
    - assignment: The assignment id
    - students: Student ids to grade (default: every submission)
    - workers: Local worker processes (default: as many as cores)
    - scheduler: Address of a Dask scheduler, to grade on its workers instead
    - db_url: Gradebook URL (default: the course config's, else course_dir/gradebook.db)
    - force: Regrade submissions already graded
    - use_sandbox: False only to run without bubblewrap (--no-sandbox)
    - limits: sandbox.Limits for every notebook
    - progress: Show a progress bar

    Returns the list of Outcome, one per student graded in this run (skipped ones excluded).
    Raises CourseError for a problem with the course itself (no submissions,
    unknown assignment, no sandbox).
    """
    course_dir = pathlib.Path(course_dir).resolve()
    if use_sandbox:
        sandbox.check_sandbox()
    config = gradebook.load_config(course_dir)
    db_url = gradebook.resolve_db_url(course_dir, config, db_url)
    expected = gradebook.assignment_notebooks(db_url, assignment)
    pending = [s for s in submissions.find_students(course_dir, assignment, students)
               if force or not _is_done(course_dir, assignment, s)]
    outcomes = []
    bar = tqdm(total=len(pending), desc=f"grading {assignment}", unit="submission", disable=not progress)
    with worker_pool(workers=workers, scheduler=scheduler) as (submit, as_completed):
        futures, prepared = [], {}
        for student in pending:
            job, problems = _prepare(course_dir, assignment, student, expected, config, db_url, limits, use_sandbox)
            prepared[student] = problems
            futures.append(submit(job))
        for future in as_completed(futures):
            result = future.result()
            outcome = _record(course_dir, assignment, result, prepared[result["student"]], config, db_url)
            outcomes.append(outcome)
            bar.update(1)
            failing = sum(o.status != "graded" for o in outcomes)
            bar.set_postfix(done=len(outcomes), failing=failing, remaining=len(pending) - len(outcomes))
    bar.close()
    return sorted(outcomes, key=lambda o: o.student)


def _marker_path(course_dir, assignment, student):
    return course_dir / "autograded" / student / assignment / MARKER


def _is_done(course_dir, assignment, student):
    return _marker_path(course_dir, assignment, student).exists()


def _seed(student, assignment):
    """A per-submission seed for the trusted verdict's inputs that students cannot know in advance."""
    secret = os.environ.get("AUTOGRADER_SEED_SECRET", "batchnorm-suite")
    digest = hashlib.sha256(f"{secret}/{assignment}/{student}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _prepare(course_dir, assignment, student, expected, config, db_url, limits, use_sandbox):
    """The job for one student (sanitized notebooks, files) and the problems found reading it."""
    submission = submissions.read_submission(course_dir, assignment, student, expected)
    gradebook.open_submission(db_url, assignment, student, submission.timestamp)
    source = course_dir / "source" / assignment
    files = dict(submission.files)
    # as `nbgrader autograde` does: the source's other files overwrite the student's copies
    files.update({str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*")
                  if p.is_file() and p.suffix != ".ipynb" and "__pycache__" not in p.parts})
    release = course_dir / config.get("CourseDirectory", {}).get("release_directory", "release") / assignment
    sanitize = lambda nb, name: gradebook.sanitize(nb, config=config, db_url=db_url, assignment=assignment,
                                                   student=student, notebook=name)
    notebooks = {}
    for name in sorted(expected):
        blank = nbformat.read(release / name, as_version=4)
        nb = submission.notebooks[name]
        if nb is not None:
            nb, changes = restore_structure(nb, blank)
            submission.problems += [f"{name}: {change}" for change in changes]
        try:
            # missing or unreadable: the blank release version stands in, and earns nothing
            notebooks[name] = nbformat.writes(sanitize(nb if nb is not None else blank, name))
        except Exception as error:  # nbgrader rejects the cells' metadata
            submission.problems.append(f"{name}: nbgrader could not read its cells ({error}); graded blank")
            notebooks[name] = nbformat.writes(sanitize(blank, name))
    job = {"student": student, "assignment": assignment, "notebooks": notebooks, "files": files,
           "limits": limits_dict(limits), "sandbox": use_sandbox, "seed": _seed(student, assignment)}
    return job, submission.problems


def _record(course_dir, assignment, result, problems, config, db_url):
    """Save one result: grades, trusted overrides, autograded notebooks, then the marker."""
    student = result["student"]
    out_dir = course_dir / "autograded" / student / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    messages = list(problems)
    flagged = []
    for name, text in result["executed"].items():
        status, message = result["status"][name]
        if status != "ok":
            messages.append(f"{name}: {status}: {message}")
        nb = gradebook.save_grades(nbformat.reads(text, as_version=4), config=config, db_url=db_url,
                                   assignment=assignment, student=student, notebook=name)
        overrides = _trusted_overrides(nb, result["trusted"])
        if overrides:
            gradebook.override_scores(db_url, assignment, student, name,
                                      {grade_id: trusted for grade_id, (_, trusted) in overrides.items()})
            flagged += [f"{name}/{grade_id}: in-kernel {kernel:g}, trusted {trusted:g}"
                        for grade_id, (kernel, trusted) in overrides.items()]
        _write_atomically(out_dir / name, nbformat.writes(nb))
    if result["trusted_error"]:
        messages.append(f"trusted verdict unavailable, in-kernel grades kept: {result['trusted_error']}")
    if flagged:
        messages.append("review: the trusted verdict differs from the in-kernel tests: " + "; ".join(flagged))
    status = "flagged" if flagged else "failed" if not result["executed"] else "problems" if messages else "graded"
    score = _total(db_url, assignment, student)
    marker = {"status": status, "messages": messages, "score": score, "seconds": result["seconds"],
              "trusted": result["trusted"]}
    _write_atomically(out_dir / MARKER, json.dumps(marker, indent=1))  # written last: it means 'done'
    return Outcome(student, status, messages, score)


def _write_atomically(path, text):
    """Write text to path so that a reader (or a crash) sees the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _trusted_overrides(nb, trusted):
    """{grade_id: (in-kernel score, trusted score)} where the two differ."""
    overrides = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if is_grade(cell) and grade_id in trusted:
            kernel, _ = determine_grade(cell)
            if kernel is not None and abs(kernel - trusted[grade_id][0]) > 1e-6:
                overrides[grade_id] = (kernel, trusted[grade_id][0])
    return overrides


def _total(db_url, assignment, student):
    with Gradebook(db_url) as gb:
        return gb.find_submission(assignment, student).score


def read_marker(course_dir, assignment, student):
    """The marker of a graded submission as a dict, or None."""
    path = _marker_path(pathlib.Path(course_dir), assignment, student)
    return json.loads(path.read_text()) if path.exists() else None


def raise_for_course(course_dir, assignment):
    """Clear errors for a course folder that cannot be graded at all."""
    course_dir = pathlib.Path(course_dir)
    if not course_dir.is_dir():
        raise CourseError(f"course folder {course_dir} does not exist")
    if not (course_dir / "source" / assignment).is_dir():
        raise CourseError(f"unknown assignment {assignment!r}: no folder {course_dir / 'source' / assignment}")
