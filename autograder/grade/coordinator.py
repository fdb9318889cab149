"""`python -m autograder grade`: grade every submission of an assignment, in parallel, sandboxed, resumably.

First the judge grades the instructor's solution outside the kernel
(autograder/verdict/calibration.py): a test cell it cannot judge there is graded
in the kernel, and every outcome says so. Then, for each student, the
coordinator (this process, the only one that writes the gradebook) reads the
submission, runs nbgrader's sanitizing steps, sends the job to a worker (which
runs the notebooks without their hidden tests and judges each test cell outside
the kernel), and when the result comes back saves the grades with nbgrader's
grade-saving steps from the judged outputs, flags the checks on which the
kernel and the judge disagree, writes `autograded/<student>/<assignment>/` and,
last, a marker file. A student with a marker is done: a rerun after a crash
(even `kill -9`) grades only the others, and regrading one is idempotent, since
nbgrader keeps one grade row per cell. `force=True` regrades everyone.

Every failure is one student's: an exception anywhere on one submission's way
(reading, sanitizing, running, recording) makes its outcome 'failed' with a
one-line message, and its marker is written, so that a rerun does not fail on
it again. A worker process that dies takes the submissions it held with it, so
each of those is graded again alone, and fails only if its worker dies again.
Only the course itself (CourseError) and a gradebook that cannot be reached
(GradebookUnavailable) stop the run.
"""
import contextlib
import copy
import dataclasses
import json
import os
import pathlib
import sys
from concurrent.futures.process import BrokenProcessPool

import nbformat
from nbgrader.api import Gradebook
from tqdm.auto import tqdm

from . import gradebook, sandbox, submissions
from ..course import CourseError
from .course_secret import course_secret
from .shortcuts import flagged_calls, hidden_libraries
from .structure import restore_structure
from ..verdict.calibration import Calibration, calibrate
from .workers import limits_dict, remove_leftovers, support_python_path, unenforced_caps, worker_pool

MARKER = ".harness.json"
MAX_MESSAGE = 300  # characters of a failure's one-line message
WORKER_DIED = "its worker process died twice while grading it (killed, or out of memory)"


@dataclasses.dataclass
class Outcome:
    """What happened to one submission: status 'graded', 'problems', 'flagged' or 'failed', and why."""
    student: str
    status: str
    messages: list
    score: float = 0.0


@dataclasses.dataclass(frozen=True)
class _Run:
    """What every submission of one grading run shares."""
    course_dir: pathlib.Path
    assignment: str
    config: object
    db_url: str
    expected: dict      # {notebook file name: its cell ids}
    blanks: dict        # {notebook file name: the student release's NotebookNode}
    course_files: dict  # {relative path: bytes}: the source's other files, which overwrite a student's copies
    limits: sandbox.Limits
    use_sandbox: bool
    max_submission_bytes: int
    calibration: Calibration
    secret: str                   # the course's secret (course_secret.py): seeds the hidden checks outside the kernel
    hidden_libraries: tuple = ()  # import names the sandboxes hide: the course config's c.Shortcuts.hidden_libraries


def grade_assignment(course_dir, assignment, *, students=None, workers=None, scheduler=None, db_url=None,
                     force=False, use_sandbox=True, limits=sandbox.Limits(),
                     max_submission_mb=submissions.MAX_SUBMISSION_MB, progress=True):
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
    - max_submission_mb: The most MB of a submission's files that are read
    - progress: Show a progress bar

    Returns the list of Outcome, one per student graded in this run (skipped ones excluded).
    Prints to stderr, first, one line per cap this machine cannot enforce.
    Raises CourseError for a problem with the course itself (no submissions,
    unknown assignment, unreadable release), GradebookUnavailable when the
    gradebook cannot be reached, SandboxUnavailable without bubblewrap.
    """
    course_dir = pathlib.Path(course_dir).resolve()
    if use_sandbox:
        sandbox.check_sandbox()
    for line in unenforced_caps(limits, use_sandbox):
        print(f"warning: not capped on this machine: {line}", file=sys.stderr)
    config, db_url, expected, blanks, course_files, secret, hidden = _setting(course_dir, assignment, db_url)
    calibration = _calibrate(course_dir, assignment, expected, course_files, limits, use_sandbox, secret, hidden)
    for line in calibration.messages:
        print(f"warning: {line}", file=sys.stderr)
    run = _Run(course_dir, assignment, config, db_url, expected, blanks, course_files, limits, use_sandbox,
               max_submission_mb * submissions.MIB, calibration, secret, hidden)
    pending = [s for s in submissions.find_students(course_dir, assignment, students)
               if force or not _is_done(course_dir, assignment, s)]
    outcomes = []
    bar = tqdm(total=len(pending), desc=f"grading {assignment}", unit="submission", disable=not progress)

    def done(outcome):
        outcomes.append(outcome)
        bar.update(1)
        failing = sum(o.status != "graded" for o in outcomes)
        bar.set_postfix(done=len(outcomes), failing=failing, remaining=len(pending) - len(outcomes))

    _grade_all(run, pending, done, workers=workers, scheduler=scheduler)
    bar.close()
    remove_leftovers()  # of workers killed in earlier runs: by now gone for sure
    return sorted(outcomes, key=lambda o: o.student)


def calibrate_assignment(course_dir, assignment, *, db_url=None, use_sandbox=True, limits=sandbox.Limits()):
    """
    Judge the assignment's solution outside the kernel, as grade_assignment does first, and keep the Calibration
    in the course's autograded/ folder, where the grading runs that follow find it. Inputs and errors as there.
    """
    course_dir = pathlib.Path(course_dir).resolve()
    _, _, expected, _, course_files, secret, hidden = _setting(course_dir, assignment, db_url)
    return _calibrate(course_dir, assignment, expected, course_files, limits, use_sandbox, secret, hidden)


def _setting(course_dir, assignment, db_url):
    """
    (config, db_url, expected, blanks, course_files, secret, hidden libraries) of a grading run (see _Run);
    raises CourseError, GradebookUnavailable.
    """
    config = gradebook.load_config(course_dir)
    db_url = gradebook.resolve_db_url(course_dir, config, db_url)
    gradebook.check_reachable(db_url)
    expected = gradebook.assignment_notebooks(db_url, assignment)
    blanks, course_files = _course_files(course_dir, assignment, config, expected)
    secret, hidden = course_secret(course_dir), hidden_libraries(config, assignment)
    return config, db_url, expected, blanks, course_files, secret, hidden


def _course_files(course_dir, assignment, config, expected):
    """(blank release notebooks by name, the source's other files); raises CourseError when the release is unreadable."""
    release = course_dir / config.get("CourseDirectory", {}).get("release_directory", "release") / assignment
    try:
        blanks = {name: nbformat.read(release / name, as_version=4) for name in expected}
    except (OSError, ValueError) as error:
        raise CourseError(f"the release of {assignment!r} in {release} cannot be read ({error}): "
                          f"run `nbgrader generate_assignment {assignment}`") from None
    source = course_dir / "source" / assignment
    files = {str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*")
             if p.is_file() and p.suffix != ".ipynb" and "__pycache__" not in p.parts}
    return blanks, files


def _calibrate(course_dir, assignment, expected, course_files, limits, use_sandbox, secret, hidden):
    """The Calibration of the assignment's test cells; raises CourseError when a source notebook is unreadable."""
    source = course_dir / "source" / assignment
    try:
        notebooks = {name: nbformat.read(source / name, as_version=4) for name in sorted(expected)}
    except (OSError, ValueError) as error:
        raise CourseError(f"the source of {assignment!r} in {source} cannot be read ({error})") from None
    return calibrate(course_dir, assignment, notebooks, course_files, limits=limits, use_sandbox=use_sandbox,
                     python_path=support_python_path(), secret=secret, hidden_libraries=hidden)


def _grade_all(run, students, done, **pool):
    """Grade students on a worker_pool(**pool), passing each Outcome to done; those whose worker died, again alone."""
    for student in _grade_batch(run, students, done, **pool):
        for again in _grade_batch(run, [student], done, workers=1):  # alone: no other submission can kill it
            done(_failed(run, again, WORKER_DIED))


def _grade_batch(run, students, done, **pool):
    """
    Grade students on a worker_pool(**pool), passing each one's Outcome to done as it comes.

    Returns the students whose worker process died while it held them (a local
    pool is then broken), to be graded again.
    """
    lost = []
    with worker_pool(**pool) as (submit, as_completed):
        futures = {}
        for student in students:
            try:
                job, problems = _prepare(run, student)
                futures[submit(job)] = student, problems
            except Exception as error:  # whatever a submission makes us raise fails it alone
                done(_failed(run, student, error))
        for future in as_completed(list(futures)):
            student, problems = futures[future]
            try:
                done(_record(run, future.result(), problems))
            except BrokenProcessPool:
                lost.append(student)
            except Exception as error:
                done(_failed(run, student, error))
    return lost


def _marker_path(course_dir, assignment, student):
    return course_dir / "autograded" / student / assignment / MARKER


def _is_done(course_dir, assignment, student):
    return _marker_path(course_dir, assignment, student).exists()


def _prepare(run, student):
    """The job for one student (sanitized notebooks, files) and the problems found reading it."""
    submission = submissions.read_submission(run.course_dir, run.assignment, student, run.expected,
                                             max_bytes=run.max_submission_bytes, max_files=run.limits.max_files)
    gradebook.open_submission(run.db_url, run.assignment, student, submission.timestamp)
    files = {**submission.files, **run.course_files}  # as `nbgrader autograde` does
    sanitize = lambda nb, name: gradebook.sanitize(nb, config=run.config, db_url=run.db_url, assignment=run.assignment,
                                                   student=student, notebook=name)
    notebooks = {}
    for name in sorted(run.expected):
        blank = copy.deepcopy(run.blanks[name])
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
    job = {"student": student, "assignment": run.assignment, "notebooks": notebooks, "files": files,
           "in_kernel": sorted(run.calibration.in_kernel), "limits": limits_dict(run.limits),
           "sandbox": run.use_sandbox, "secret": run.secret, "hidden_libraries": list(run.hidden_libraries),
           "flagged_calls": list(flagged_calls(run.config, run.assignment))}
    return job, submission.problems


def _record(run, result, problems):
    """Save one result: grades (from the judged outputs), flags, autograded notebooks, then the marker."""
    student, db_url, assignment = result["student"], run.db_url, run.assignment
    messages = list(problems) + list(run.calibration.messages)
    flagged, shortcuts = [], []
    for name, text in result["executed"].items():
        status, message = result["status"][name]
        if status != "ok":
            messages.append(f"{name}: {status}: {message}")
        nb = gradebook.save_grades(nbformat.reads(text, as_version=4), config=run.config, db_url=db_url,
                                   assignment=assignment, student=student, notebook=name)
        flagged += [f"{name}/{grade_id}: {line}" for grade_id, line in result["differences"][name]]
        shortcuts += [f"{name}/{line}" for line in result["shortcuts"][name]]
        _write_atomically(_out_dir(run, student) / name, nbformat.writes(nb))
    if result["judge_error"]:
        messages.append(f"no verdict outside the kernel ({result['judge_error']}): the test cells ran without "
                        f"their hidden tests; regrade this student with --force")
    if flagged:
        messages.append("review: the kernel and the verdict outside it disagree on " + "; ".join(flagged))
    if shortcuts:
        messages.append("review: a library function this assignment's answers may not use: " + "; ".join(shortcuts))
    failed = not result["executed"] or result["judge_error"]
    status = "flagged" if flagged or shortcuts else "failed" if failed else "problems" if messages else "graded"
    return _mark_done(run, Outcome(student, status, messages, _total(db_url, assignment, student)),
                      seconds=result["seconds"], notes=result["notes"])


def _failed(run, student, error):
    """
    The 'failed' Outcome of a student whose grading raised error (or a message): its
    marker written, and its submission opened in the gradebook if it was not, so
    that the reports list it (with 0 points when it has no grades yet).
    Raises GradebookUnavailable instead when the gradebook cannot be reached.
    """
    gradebook.check_reachable(run.db_url)  # a lost gradebook is no student's failure
    message = error if isinstance(error, str) else _one_line(error)
    score = 0.0
    with contextlib.suppress(Exception):  # the student is failed either way; the row only helps the reports
        gradebook.open_submission(run.db_url, run.assignment, student)
        score = _total(run.db_url, run.assignment, student)
    return _mark_done(run, Outcome(student, "failed", [message], score), seconds={}, notes={})


def _one_line(error):
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _out_dir(run, student):
    folder = _marker_path(run.course_dir, run.assignment, student).parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mark_done(run, outcome, *, seconds, notes):
    """
    Write the outcome's marker, last: it means 'done'. notes: {notebook: [line]} of what the
    judge noted (magics skipped outside the kernel, cells that hung). Returns the outcome.
    """
    marker = {"status": outcome.status, "messages": outcome.messages, "score": outcome.score, "seconds": seconds,
              "notes": notes}
    _write_atomically(_out_dir(run, outcome.student) / MARKER, json.dumps(marker, indent=1))
    return outcome


def _write_atomically(path, text):
    """Write text to path so that a reader (or a crash) sees the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


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
