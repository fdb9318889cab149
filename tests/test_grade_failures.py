"""Every failure is one student's: the grading loop with its steps replaced by fakes, no notebook run.

tests/test_hostile.py grades real hostile submissions end to end; here each
way a step can raise is checked in milliseconds.
"""
import concurrent.futures
import contextlib
from concurrent.futures.process import BrokenProcessPool

import pytest

from autograder.grade import coordinator
from autograder.grade.gradebook import GradebookUnavailable
from autograder.grade.sandbox import Limits
from autograder.verdict.calibration import Calibration

# what each fake student's grading does: raise while prepared, raise in the worker, break the pool (once or always)
PREPARE_RAISES, WORKER_RAISES, KILLS_ONCE, KILLS_ALWAYS, FINE = "prepare", "worker", "kills-once", "kills", "fine"


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A grading run of fake students, its steps replaced by fakes that behave as the student's name says."""
    killed = set()

    def prepare(run, student):
        if student == PREPARE_RAISES:
            raise UnicodeEncodeError("utf-8", "\ud83d", 0, 1, "surrogates not allowed")
        return {"student": student}, ["a problem found reading it"]

    def work(job):
        student = job["student"]
        if student == WORKER_RAISES:
            raise RuntimeError("first line\nsecond line")
        if student == KILLS_ALWAYS or student == KILLS_ONCE and student not in killed:
            killed.add(student)
            raise BrokenProcessPool("a process in the pool was terminated abruptly")
        return job

    @contextlib.contextmanager
    def pool(**_):
        def submit(job):
            future = concurrent.futures.Future()
            try:
                future.set_result(work(job))
            except Exception as error:
                future.set_exception(error)
            return future
        yield submit, concurrent.futures.as_completed

    monkeypatch.setattr(coordinator, "_prepare", prepare)
    monkeypatch.setattr(coordinator, "_record", lambda run, result, problems: coordinator.Outcome(result["student"], "graded",
                                                                                      problems, 1.0))
    monkeypatch.setattr(coordinator, "worker_pool", pool)
    return coordinator._Run(tmp_path, "hw", config=None, db_url=f"sqlite:///{tmp_path / 'gradebook.db'}", expected={},
                      blanks={}, course_files={}, limits=Limits(), use_sandbox=True, max_submission_bytes=1,
                      calibration=Calibration(frozenset(), ()), secret="s")


def grade_all(run, students):
    outcomes = []
    coordinator._grade_all(run, students, outcomes.append)
    return {outcome.student: outcome for outcome in outcomes}


def test_each_failure_is_its_students_alone_and_marked_done(run):
    outcomes = grade_all(run, [PREPARE_RAISES, WORKER_RAISES, KILLS_ONCE, KILLS_ALWAYS, FINE])
    assert {student: o.status for student, o in outcomes.items()} == {
        PREPARE_RAISES: "failed", WORKER_RAISES: "failed", KILLS_ONCE: "graded", KILLS_ALWAYS: "failed",
        FINE: "graded"}
    assert outcomes[PREPARE_RAISES].messages == [
        "UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud83d' in position 0: surrogates not allowed"]
    assert outcomes[WORKER_RAISES].messages == ["RuntimeError: first line"]
    assert outcomes[KILLS_ALWAYS].messages == [coordinator.WORKER_DIED]
    for student in (PREPARE_RAISES, WORKER_RAISES, KILLS_ALWAYS):
        marker = coordinator.read_marker(run.course_dir, "hw", student)
        assert marker["status"] == "failed" and marker["messages"] == outcomes[student].messages


def test_a_long_message_is_cut_to_one_short_line(run):
    message = coordinator._one_line(ValueError("x" * 1000 + "\nmore"))
    assert len(message) == coordinator.MAX_MESSAGE and message.endswith("...") and "\n" not in message


def test_a_gradebook_that_cannot_be_reached_stops_the_run(run, tmp_path):
    unreachable = coordinator._Run(**{**vars(run), "db_url": f"sqlite:///{tmp_path / 'gone' / 'gradebook.db'}"})
    with pytest.raises(GradebookUnavailable, match="cannot be reached"):
        grade_all(unreachable, [FINE, WORKER_RAISES])
