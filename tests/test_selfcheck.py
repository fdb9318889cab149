"""The student self-check (assignments.selfcheck): bad input, the table, a tiny notebook, and (e2e) the releases."""
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from assignments import selfcheck
from autograder.examples.bug_catalog import EXAMPLES
from autograder.examples import correct_notebook, plant
from conftest import RELEASE, graded_cells, nbgrader_meta

MANUAL = "answers graded by hand: "


def graded(source, grade_id, points, cell_type="code"):
    meta = {"nbgrader": {"grade": True, "solution": cell_type == "markdown", "locked": cell_type == "code",
                         "grade_id": grade_id, "points": points, "schema_version": 3}}
    return (new_code_cell if cell_type == "code" else new_markdown_cell)(source, metadata=meta)


def run_main(argv, capsys):
    status = selfcheck.main([*argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_missing_notebook_is_one_line_and_status_2(tmp_path, capsys):
    status, out, err = run_main([str(tmp_path / "absent.ipynb")], capsys)
    assert status == 2 and out == ""
    assert err.splitlines() == [f"error: cannot read {tmp_path / 'absent.ipynb'}: No such file or directory"]


@pytest.mark.parametrize("content", ['{"cells": [', '{"nbformat": 4, "nbformat_minor": 5, "cells": 3}', "\xff"])
def test_a_malformed_notebook_is_one_line_and_status_2(tmp_path, capsys, content):
    path = tmp_path / "broken.ipynb"
    path.write_text(content, encoding="latin-1")
    status, out, err = run_main([str(path)], capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {path} is not a valid notebook: ")


def test_a_notebook_without_tests_is_refused_before_running(tmp_path, capsys):
    path = tmp_path / "plain.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0")]), path)
    status, _, err = run_main([str(path)], capsys)
    assert status == 2 and err == f"error: {path} has no graded test cells: is it a notebook of this course?\n"


def outcome(checks=(), notes=(), error=None):
    return {"checks": [{"description": d, "passed": p, "message": m} for d, p, m in checks],
            "notes": list(notes), "error": error}


def test_the_table_shows_points_failures_notes_and_what_is_pending():
    rows = [
        {"grade_id": "test_ok", "score": 3.0, "max_score": 3.0, "outcome": outcome([("fine", True, None)])},
        {"grade_id": "test_partial", "score": 1.5, "max_score": 3.0, "outcome": outcome(
            [("fine", True, None), ("momentum", False, "AssertionError: running_mean 0.5, expected 0.1")],
            notes=["this runs your f, which failed test_a: fix that first"])},
        {"grade_id": "test_stub", "score": 0.0, "max_score": 4.0, "outcome": outcome(
            error="NotImplementedError: f is not implemented yet")},
    ]
    assert selfcheck.format_table(rows, {"question_1": 2.0, "question_2": 1.0}) == [
        "test_ok              3 / 3  ok",
        "test_partial       1.5 / 3  FAIL",
        "    FAIL  momentum",
        "          AssertionError: running_mean 0.5, expected 0.1",
        "    NOTE  this runs your f, which failed test_a: fix that first",
        "test_stub            0 / 4  FAIL",
        "    error: NotImplementedError: f is not implemented yet",
        "visible tests     4.5 / 10  1 of 3 tests earn full points",
        "",
        "Pending until your notebook is graded:",
        "- " + selfcheck.PENDING_HIDDEN.format(points=10),
        "- " + selfcheck.PENDING_MANUAL.format(points=3, names="question_1 2, question_2 1"),
    ]


def test_a_small_notebook_is_scored_as_nbgrader_would_in_a_scratch_copy(tmp_path):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "data.txt").write_text("41")
    nb = new_notebook(cells=[
        new_code_cell("from assignments.grading import Rubric, observe\nimport sys\n"
                      "open('written.txt', 'w').write('x')\nvalue = int(open('data.txt').read())"),
        graded("YOUR ANSWER HERE", "answer_question", 1, cell_type="markdown"),
        new_code_cell("def f():\n    raise NotImplementedError()"),
        graded("rubric = Rubric(points=2)\nwith rubric.check('reads the data'):\n    assert value == 41\n"
               "print('RuntimeWarning: overflow', file=sys.stderr)\nrubric.score()", "test_full", 2),
        graded("rubric = Rubric(points=4)\nwith rubric.check('is 41'):\n    assert value == 41\n"
               "with rubric.check('is 42'):\n    assert value == 42, 'value is 41'\nrubric.score()", "test_half", 4),
        graded("rubric = Rubric(points=3)\nwith rubric.check('f works'):\n    observe(lambda: f())\nrubric.score()",
               "test_stub", 3),
    ])
    nbformat.write(nb, folder / "hw.ipynb")
    before = sorted(p.name for p in folder.iterdir())
    rows, manual = selfcheck.check_notebook(folder / "hw.ipynb", timeout=60)
    assert manual == {"answer_question": 1.0}
    assert [(r["grade_id"], r["score"], r["max_score"]) for r in rows] == [
        ("test_full", 2.0, 2.0), ("test_half", 2.0, 4.0), ("test_stub", 0.0, 3.0)]
    assert rows[1]["outcome"]["checks"][1] == {"description": "is 42", "passed": False,
                                               "message": "AssertionError: value is 41"}
    assert rows[2]["outcome"]["error"] == ("0 / 3 points: FAIL f works: NotImplementedError: f is not implemented "
                                           "yet: replace `raise NotImplementedError()` in its cell with your code.")
    assert sorted(p.name for p in folder.iterdir()) == before, "the check wrote into the student's folder"


def self_check(folder):
    """Run `python -m assignments.selfcheck` on folder's BatchNormalization.ipynb: (exit status, stdout)."""
    done = subprocess.run([sys.executable, "-m", "assignments.selfcheck", str(folder / "BatchNormalization.ipynb")],
                          capture_output=True, text=True, timeout=900)
    assert done.stderr == "", done.stderr
    return done.returncode, done.stdout


def release_copy(version, tmp_path):
    return shutil.copytree(RELEASE / version / "batchnorm", tmp_path / version)


def assert_reports_every_test_and_the_pending_points(folder, out):
    nb = nbformat.read(folder / "BatchNormalization.ipynb", as_version=4)
    for cell in graded_cells(nb):
        assert nbgrader_meta(cell)["grade_id"] in out
    manual = sum(nbgrader_meta(cell)["points"] for cell in nb.cells
                 if nbgrader_meta(cell).get("grade") and nbgrader_meta(cell).get("solution"))
    tests = sum(nbgrader_meta(cell)["points"] for cell in graded_cells(nb))
    assert manual > 0 and f"{MANUAL}{manual:g} points" in out
    assert "hidden tests" in out and f"can lower these {tests:g} points" in out


@pytest.mark.e2e
def test_the_self_check_of_the_blank_release_a_bug_and_the_solution(tmp_path):
    blank = release_copy("student", tmp_path)
    status, out = self_check(blank)
    assert status == 1, out
    assert_reports_every_test_and_the_pending_points(blank, out)
    assert "is not implemented yet" in out and "NotImplementedError\n" not in out and "Traceback" not in out

    buggy = release_copy("student", tmp_path / "bug")  # the student release with the bug's answers
    bug = next(bug for bug in EXAMPLES["batchnorm"] if bug.student == "bug-unbiased-variance")
    read = lambda version: nbformat.read(RELEASE / version / "batchnorm" / "BatchNormalization.ipynb", as_version=4)
    nbformat.write(plant(correct_notebook(read("student"), read("solution")), bug), buggy / "BatchNormalization.ipynb")
    status, out = self_check(buggy)
    assert status == 1, out
    assert "0.99749686" in out  # the measured stds: sqrt((N - 1) / N), the hint to the bug
    assert "which failed test_forward_train" in out  # the gradient check names the forward pass as a cause

    solution = release_copy("solution", tmp_path)
    status, out = self_check(solution)
    assert status == 0, out
    assert "FAIL" not in out
    assert_reports_every_test_and_the_pending_points(solution, out)
