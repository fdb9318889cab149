"""The grading harness end to end on a real course: parallel, resumable, hostile submissions, clear errors."""
import copy
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import nbformat
import pytest

from autograder.grade.sandbox import cgroups, scratch
from autograder.cli import main
from autograder.examples.bug_catalog import EXAMPLES
from autograder.grade.course_secret import course_secret
from autograder.examples import BLANK, CORRECT, example_notebooks
from autograder.grade.coordinator import grade_assignment, read_marker
from autograder.grade.gradebook import integrity_problems
from autograder.grade.sandbox.leftovers import stale
from autograder.reports.scores import score_table
from conftest import build_course

pytestmark = pytest.mark.e2e
ASSIGNMENT = "batchnorm"
UNBIASED = next(bug for bug in EXAMPLES[ASSIGNMENT] if bug.student == "bug-unbiased-variance")


def _cells(nb, **nbgrader):
    return [c for c in nb.cells if all(c.metadata.get("nbgrader", {}).get(k) == v for k, v in nbgrader.items())]


def scenario_notebooks(correct):
    """{student id: {file name: notebook JSON text or bytes}} for each hostile or broken submission."""
    main_nb = "BatchNormalization.ipynb"

    def variant(change):
        notebooks = copy.deepcopy(correct)
        change(notebooks[main_nb])
        return {name: nbformat.writes(nb) for name, nb in notebooks.items()}

    def cheat(nb):  # wrong forward pass, and every in-kernel check patched to pass
        cell = _cells(nb, grade_id="batchnorm_forward")[0]
        [edit] = UNBIASED.edits
        assert edit.old in cell.source
        cell.source = cell.source.replace(edit.old, edit.new)
        cell.source += ("\nimport assignments.grading\nnp.allclose = lambda *a, **k: True\n"
                        "assignments.grading.Rubric.score = lambda self: self.points\n"
                        "expect_close = lambda *a, **k: None\nrel_error = lambda *a, **k: 0.0\n")

    def delete_test(nb):
        nb.cells.remove(_cells(nb, grade_id="test_backward")[0])

    def duplicate_and_reorder(nb):
        forward = _cells(nb, grade_id="batchnorm_forward")[0]
        nb.cells.insert(0, copy.deepcopy(forward))
        nb.cells.reverse()

    def rename_ids(nb):
        for cell in _cells(nb, grade=True):
            cell.metadata["nbgrader"]["grade_id"] += "_renamed"
            cell.metadata["nbgrader"]["points"] = 100

    def loud(nb):
        _cells(nb, grade_id="setup")[0].source += "\nprint('x' * 5_000_000)\nimport sys; sys.stdout.buffer.write(b'\\xff\\xfe bad bytes\\n')"

    scenarios = {
        "cheat-monkeypatch": variant(cheat),
        "deleted-test-cell": variant(delete_test),
        "duplicated-reordered": variant(duplicate_and_reorder),
        "changed-grade-ids": variant(rename_ids),
        "megabytes-of-output": variant(loud),
    }
    scenarios["malformed-json"] = {main_nb: b'{"cells": [', **{n: nbformat.writes(nb) for n, nb in correct.items() if n != main_nb}}
    scenarios["renamed-notebook"] = {("BatchNormalization (1).ipynb" if n == main_nb else n): nbformat.writes(nb)
                                     for n, nb in correct.items()}
    scenarios["not-utf8"] = {n: nbformat.writes(nb).encode("utf-8").replace(b"Batch", b"B\xe4tch", 1)
                             for n, nb in correct.items()}
    return scenarios


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with the example submissions (correct, blank, one bug) and the hostile ones."""
    course_dir = build_course(tmp_path_factory.mktemp("grade") / "course", {CORRECT, BLANK, UNBIASED.student})
    correct = example_notebooks(course_dir, ASSIGNMENT)[CORRECT]
    for student, files in scenario_notebooks(correct).items():
        folder = course_dir / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (course_dir / "submitted" / "deleted-test-cell" / ASSIGNMENT / "notes.txt").write_text("an extra file")
    return course_dir


@pytest.fixture(scope="module")
def graded(course):
    outcomes = grade_assignment(course, ASSIGNMENT, workers=2, progress=False)
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    return {o.student: o for o in outcomes}, tests, rows


def auto_points(tests, rows, student):
    return {name: rows[student][name] for name, _, manual in tests if not manual}


def test_correct_gets_every_autograded_point_blank_none(graded):
    outcomes, tests, rows = graded
    full = {name: points for name, points, manual in tests if not manual}
    assert auto_points(tests, rows, CORRECT) == full
    assert set(auto_points(tests, rows, BLANK).values()) == {0}
    assert outcomes[CORRECT].status == "graded", outcomes[CORRECT].messages


def test_a_bug_loses_points_where_it_is_tested(graded):
    _, tests, rows = graded
    lost = {name for name, points, manual in tests if not manual and rows[UNBIASED.student][name] < points}
    assert lost == set(UNBIASED.affected)


def test_monkeypatching_the_checks_does_not_change_the_verdict(graded):
    outcomes, tests, rows = graded
    cheat = outcomes["cheat-monkeypatch"]
    assert cheat.status == "flagged", cheat.messages
    assert any("disagree on" in m and "test_forward_train" in m for m in cheat.messages)
    assert rows["cheat-monkeypatch"]["test_forward_train"] < 4


@pytest.mark.parametrize("student, expect", [
    ("malformed-json", "not a readable notebook"),
    ("renamed-notebook", "graded BatchNormalization (1).ipynb in its place"),
    ("not-utf8", "not valid UTF-8"),
])
def test_broken_submissions_get_a_clear_message(graded, student, expect):
    outcomes, _, _ = graded
    assert any(expect in m for m in outcomes[student].messages), outcomes[student].messages


def test_structural_tampering_cannot_earn_points(graded):
    _, tests, rows = graded
    correct = auto_points(tests, rows, CORRECT)
    for student in ("deleted-test-cell", "duplicated-reordered", "changed-grade-ids", "megabytes-of-output"):
        points = auto_points(tests, rows, student)
        assert set(points) == set(correct), student
        assert all(points[name] <= correct[name] for name in points), (student, points)
    assert rows["changed-grade-ids"]["test_forward_train"] <= 4
    assert rows["renamed-notebook"] == rows[CORRECT]


def test_every_submission_has_exactly_one_grade_per_cell(graded, course):
    assert integrity_problems(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT) == []
    for student in graded[0]:
        assert read_marker(course, ASSIGNMENT, student)["status"] == graded[0][student].status


def test_kill_9_mid_run_then_rerun_loses_and_duplicates_nothing(graded, course):
    db = f"sqlite:///{course / 'gradebook.db'}"
    before = score_table(db, ASSIGNMENT)[1]
    # six regraded, in this order: the kill comes after the fourth is recorded, with the others in flight
    regraded = [UNBIASED.student, "changed-grade-ids", "cheat-monkeypatch", CORRECT, "megabytes-of-output", "not-utf8"]
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course-dir", str(course),
               "--force", "--workers", "2", *(f"--student={student}" for student in regraded)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    marker = course / "autograded" / CORRECT / ASSIGNMENT / ".harness.json"
    start = marker.stat().st_mtime
    deadline = time.time() + 300
    while time.time() < deadline and marker.stat().st_mtime == start and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert main(["grade", ASSIGNMENT, "--course-dir", str(course), "--workers", "2"]) == 0
    assert integrity_problems(db, ASSIGNMENT) == []
    assert score_table(db, ASSIGNMENT)[1] == before
    # what the killed workers left (scratch mount points, cgroups) the rerun removed
    assert not list(stale(pathlib.Path(tempfile.gettempdir()), scratch.PREFIX))
    if not cgroups.unavailable_reason():
        assert not list(stale(cgroups.find_hierarchy().parent, cgroups.PREFIX))


def test_a_rerun_skips_the_graded_and_force_regrades_one_rewriting_its_feedback_only(graded, course, capsys):
    def pages():
        return {path: path.stat().st_mtime_ns for path in (course / "feedback").rglob("*.html")}

    def students_changed(before, after):
        return {path.relative_to(course / "feedback").parts[0] for path in after if after[path] != before.get(path)}

    rerun = ["grade", ASSIGNMENT, "--course-dir", str(course)]
    assert main(rerun) == 0  # grades nothing, and writes whatever feedback is missing
    assert "graded 0 submission(s)" in capsys.readouterr().out
    before = pages()
    assert main([*rerun, "--student", CORRECT, "--force"]) == 0
    assert "graded 1 submission(s)" in capsys.readouterr().out
    assert integrity_problems(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT) == []
    after = pages()
    assert students_changed(before, after) == {CORRECT}
    shutil.rmtree(course / "feedback" / BLANK)  # as a run killed before its reports leaves it
    assert main(rerun) == 0
    assert students_changed(after, pages()) == {BLANK}
    assert (course / "feedback" / BLANK / ASSIGNMENT / "BatchNormalization.html").is_file()


def test_a_zip_of_lms_downloads_is_collected_and_graded(tmp_path):
    import zipfile
    course = build_course(tmp_path / "course", set())
    correct = example_notebooks(course, ASSIGNMENT)[CORRECT]
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for k, (name, nb) in enumerate(sorted(correct.items())):
            z.writestr(f"annsmith_1234_{5678 + k}_{name.replace('.ipynb', '-1.ipynb')}", nbformat.writes(nb))
    assert main(["grade", ASSIGNMENT, "--course-dir", str(course), "--zip", str(archive)]) == 0
    assert sorted(p.name for p in (course / "submitted" / "annsmith" / ASSIGNMENT).iterdir()) == sorted(correct)
    assert read_marker(course, ASSIGNMENT, "annsmith")["status"] == "graded"
    assert (course / "feedback" / "annsmith" / ASSIGNMENT / "results.json").exists()
    assert (course / "reports" / ASSIGNMENT / "summary.html").exists()
    secret = course_secret(course).encode()
    for path in [course / "grades.csv", *(course / "reports").rglob("*"), *(course / "feedback").rglob("*"),
                 *(course / "autograded").rglob("*")]:
        assert not path.is_file() or secret not in path.read_bytes(), f"the course secret is in {path}"


def test_cli_errors_are_one_line(course, tmp_path, capsys):
    assert main(["grade", "no-such-assignment", "--course-dir", str(course)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    empty = build_course(tmp_path / "empty", set())
    assert main(["grade", ASSIGNMENT, "--course-dir", str(empty)]) == 1
    assert "no submissions" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", ASSIGNMENT, "--workers", "0"])
    assert exit_info.value.code == 2
    assert "must be positive" in capsys.readouterr().err
