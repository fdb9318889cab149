"""Rebuilding submitted notebooks on the release skeleton, and reading broken submissions."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.structure import restore_structure
from autograder.submissions import find_students, read_submission


def cell(grade_id, source, **meta):
    nbgrader = {"grade_id": grade_id, "solution": False, "grade": False, "locked": True, **meta}
    return new_code_cell(source, metadata={"nbgrader": nbgrader})


def release():
    return new_notebook(cells=[
        new_markdown_cell("intro", metadata={"nbgrader": {"grade_id": "intro", "locked": True}}),
        cell("answer", "raise NotImplementedError()", solution=True, locked=False),
        cell("test", "assert f() == 1", grade=True, points=1),
    ])


def sources(nb):
    return [c.source for c in nb.cells]


def test_an_intact_submission_keeps_its_answer_and_nothing_is_reported():
    submitted = release()
    submitted.cells[1].source = "def f(): return 1"
    rebuilt, problems = restore_structure(submitted, release())
    assert sources(rebuilt) == ["intro", "def f(): return 1", "assert f() == 1"]
    assert problems == []


def test_deleted_duplicated_reordered_and_renamed_cells_are_repaired_and_reported():
    submitted = release()
    answer = submitted.cells[1]
    answer.source = "def f(): return 1"
    duplicate = nbformat.from_dict(answer)
    duplicate.source = "def f(): return 2"
    renamed = cell("test_renamed", "print('mine')", grade=True, points=100)
    submitted.cells = [submitted.cells[2], answer, duplicate, renamed]  # intro deleted, test moved first
    rebuilt, problems = restore_structure(submitted, release())
    assert sources(rebuilt) == ["intro", "def f(): return 1", "print('mine')", "assert f() == 1"]
    assert "nbgrader" not in rebuilt.cells[2].metadata
    text = "\n".join(problems)
    for expected in ("more than once", "not in the assignment", "reordered", "restored from the release: intro"):
        assert expected in text, problems


def test_students_own_cells_stay_after_the_cell_they_followed():
    submitted = release()
    submitted.cells.insert(2, new_code_cell("helper = 1"))
    rebuilt, problems = restore_structure(submitted, release())
    assert sources(rebuilt)[2] == "helper = 1" and problems == []


def write(folder, name, content):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def test_broken_notebooks_are_read_with_problems_not_exceptions(tmp_path):
    good = nbformat.writes(release()).encode()
    folder = tmp_path / "submitted" / "ann" / "hw"
    write(folder, "main.ipynb", b'{"cells": [')
    write(folder, "other.ipynb", good.replace(b"intro", b"intr\xe4"))
    write(folder, "notes.txt", b"extra")
    (folder / "timestamp.txt").write_text("2026-01-01 10:00:00\n")
    submission = read_submission(tmp_path, "hw", "ann", {"main.ipynb": {"answer"}, "other.ipynb": {"answer"}})
    assert submission.notebooks["main.ipynb"] is None
    assert submission.notebooks["other.ipynb"] is not None
    assert submission.files == {"notes.txt": b"extra"}
    assert submission.timestamp == "2026-01-01 10:00:00"
    text = "\n".join(submission.problems)
    assert "main.ipynb is not a readable notebook" in text and "other.ipynb is not valid UTF-8" in text


def test_a_renamed_notebook_is_found_by_its_cells(tmp_path):
    folder = tmp_path / "submitted" / "bob" / "hw"
    write(folder, "main (1).ipynb", nbformat.writes(release()).encode())
    submission = read_submission(tmp_path, "hw", "bob", {"main.ipynb": {"answer", "test"}})
    assert submission.notebooks["main.ipynb"] is not None
    assert "graded main (1).ipynb in its place" in submission.problems[0]


def test_find_students_says_what_is_missing(tmp_path):
    import pytest
    from autograder.course import CourseError
    with pytest.raises(CourseError, match="no submissions of 'hw'"):
        find_students(tmp_path, "hw")
    (tmp_path / "submitted" / "ann" / "hw").mkdir(parents=True)
    assert find_students(tmp_path, "hw") == ["ann"]
    with pytest.raises(CourseError, match="for: zed"):
        find_students(tmp_path, "hw", ["zed"])
