"""The student self-check: bad input, the table, a tiny notebook, and (e2e) the committed releases."""
import argparse
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import check
from autograder.cli import main
from conftest import RELEASE, graded_cells, nbgrader_meta


def graded(source, grade_id, points, cell_type="code"):
    meta = {"nbgrader": {"grade": True, "solution": cell_type == "markdown", "locked": cell_type == "code",
                         "grade_id": grade_id, "points": points, "schema_version": 3}}
    return (new_code_cell if cell_type == "code" else new_markdown_cell)(source, metadata=meta)


def run_main(argv, capsys):
    status = main(["check", *argv])
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


def test_the_subcommand_parses_its_options():
    parser = argparse.ArgumentParser()
    check.add_check_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", "nb.ipynb", "--timeout", "30"])
    assert (args.command, str(args.notebook), args.timeout) == ("check", "nb.ipynb", 30)


def test_format_check_shows_points_failures_and_the_stub_hint():
    rows = [
        {"grade_id": "test_ok", "score": 3.0, "max_score": 3.0, "failures": [], "error": None},
        {"grade_id": "test_partial", "score": 1.5, "max_score": 3.0, "error": None, "failures": [
            {"description": "momentum", "passed": False, "message": "AssertionError: off by 1e-2"}]},
        {"grade_id": "test_stub", "score": 0.0, "max_score": 4.0, "failures": [], "error": "NotImplementedError"},
    ]
    assert check.format_check(rows).splitlines() == [
        "test_ok             3 / 3  ok",
        "test_partial      1.5 / 3  FAIL",
        "    FAIL  momentum",
        "          AssertionError: off by 1e-2",
        "test_stub           0 / 4  FAIL",
        "    error: NotImplementedError",
        "total            4.5 / 10  1 of 3 tests earn full points",
        "",
        "NotImplementedError: a solution cell still has `raise NotImplementedError()`; replace it with your code.",
    ]


def test_a_small_notebook_is_scored_as_nbgrader_would_in_a_scratch_copy(tmp_path):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "data.txt").write_text("41")
    nb = new_notebook(cells=[
        new_code_cell("from assignments.grading import Rubric\nimport sys\n"
                      "open('written.txt', 'w').write('x')\nvalue = int(open('data.txt').read())"),
        graded("YOUR ANSWER HERE", "answer_question", 1, cell_type="markdown"),
        graded("rubric = Rubric(points=2)\nwith rubric.check('reads the data'):\n    assert value == 41\n"
               "print('RuntimeWarning: overflow', file=sys.stderr)\nrubric.score()", "test_full", 2),
        graded("rubric = Rubric(points=4)\nwith rubric.check('is 41'):\n    assert value == 41\n"
               "with rubric.check('is 42'):\n    assert value == 42, 'value is 41'\nrubric.score()", "test_half", 4),
        graded("def f():\n    raise NotImplementedError()\nf()", "test_stub", 3),
    ])
    nbformat.write(nb, folder / "hw.ipynb")
    before = sorted(p.name for p in folder.iterdir())
    rows, ok = check.check_notebook(folder / "hw.ipynb", timeout=60)
    assert not ok
    assert [(r["grade_id"], r["score"], r["max_score"]) for r in rows] == [
        ("test_full", 2.0, 2.0), ("test_half", 2.0, 4.0), ("test_stub", 0.0, 3.0)]
    assert rows[1]["failures"] == [{"description": "is 42", "passed": False, "message": "AssertionError: value is 41"}]
    assert rows[2]["error"] == "NotImplementedError"
    assert sorted(p.name for p in folder.iterdir()) == before, "the check wrote into the student's folder"


def check_release(version, tmp_path, monkeypatch, capsys):
    """
    Run `python -m autograder check` on a copy (with its folder) of the committed
    release/<version>/batchnorm/BatchNormalization.ipynb; check it reports every test.

    Returns its exit status, the rows check_notebook computed and the printed table.
    """
    path = shutil.copytree(RELEASE / version / "batchnorm", tmp_path / "batchnorm") / "BatchNormalization.ipynb"
    real, seen = check.check_notebook, []

    def recording(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]
    monkeypatch.setattr(check, "check_notebook", recording)
    status, out, _ = run_main([str(path)], capsys)
    rows = seen[0][0]
    tests = graded_cells(nbformat.read(path, as_version=4))
    assert [row["grade_id"] for row in rows] == [nbgrader_meta(cell)["grade_id"] for cell in tests]
    return status, rows, out


@pytest.mark.e2e
def test_the_student_release_fails_every_test_with_not_implemented(tmp_path, monkeypatch, capsys):
    status, rows, out = check_release("student", tmp_path, monkeypatch, capsys)
    assert status == 1
    for row in rows:
        reasons = [row["error"]] + [failure["message"] for failure in row["failures"]]
        assert row["score"] == 0 and "NotImplementedError" in reasons, row
    assert f"0 of {len(rows)} tests earn full points" in out


@pytest.mark.e2e
def test_the_solution_release_passes_every_test(tmp_path, monkeypatch, capsys):
    status, rows, out = check_release("solution", tmp_path, monkeypatch, capsys)
    assert status == 0
    assert all(row["score"] == row["max_score"] and not row["failures"] and not row["error"] for row in rows)
    assert f"{len(rows)} of {len(rows)} tests earn full points" in out
