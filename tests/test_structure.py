"""Rebuilding submitted notebooks on the release skeleton, and reading broken or hostile submissions."""
import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grade.structure import restore_structure
from autograder.grade.submissions import SubmissionRefused, find_students, read_submission


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
    from autograder.course import CourseError
    with pytest.raises(CourseError, match="no submissions of 'hw'"):
        find_students(tmp_path, "hw")
    (tmp_path / "submitted" / "ann" / "hw").mkdir(parents=True)
    assert find_students(tmp_path, "hw") == ["ann"]
    with pytest.raises(CourseError, match="for: zed"):
        find_students(tmp_path, "hw", ["zed"])


def test_metadata_of_the_wrong_types_count_as_none(tmp_path):
    submitted = json.loads(nbformat.writes(release()))
    answer = dict(submitted["cells"][1], source=["def f():", " return 1"])
    added = {"cell_type": "code", "source": 5, "metadata": {"nbgrader": "a string", "tags": 3}}
    renamed = dict(submitted["cells"][2], metadata={"nbgrader": {"grade_id": ["a", "list"]}})
    submitted["cells"] = [submitted["cells"][0], answer, added, renamed]
    rebuilt, problems = restore_structure(nbformat.from_dict(submitted), release())
    assert sources(rebuilt) == ["intro", "def f(): return 1", "", "assert f() == 1", "assert f() == 1"]
    assert [cell.metadata for cell in rebuilt.cells[2:4]] == [{}, {}]  # the renamed test is an ordinary cell
    assert problems == ["cells missing from the submission, restored from the release: test"]


def test_a_lone_surrogate_is_replaced_and_reported(tmp_path):
    nb = release()
    nb.cells[0].source = "intro \ud83d"
    folder = tmp_path / "submitted" / "ann" / "hw"
    write(folder, "main.ipynb", json.dumps(nb).encode())  # ascii JSON: the surrogate as the escape \\ud83d
    submission = read_submission(tmp_path, "hw", "ann", {"main.ipynb": {"answer"}})
    assert submission.notebooks["main.ipynb"].cells[0].source == "intro ?"
    assert submission.problems == ["main.ipynb holds text that is not Unicode (lone surrogates); each was replaced by '?'"]


def test_links_folders_and_files_past_the_caps_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    folder = tmp_path / "submitted" / "ann" / "hw"
    write(folder, "a-big.txt", b"x" * 60)
    write(folder, "b-big.txt", b"x" * 50)
    write(folder, "c.txt", b"x")
    os.symlink(tmp_path, folder / "data")
    (folder / "main.ipynb").mkdir()
    (folder / "main.ipynb" / "inside.txt").write_text("x")
    os.symlink(secret, folder / "results.json")
    write(folder, "timestamp.txt", b"not a time")
    submission = read_submission(tmp_path, "hw", "ann", {"main.ipynb": {"answer"}}, max_bytes=100, max_files=3)
    assert submission.files == {"a-big.txt": b"x" * 60, "c.txt": b"x"} and submission.timestamp is None
    assert submission.problems == [  # in the order of the walk: a folder's files, then its folders' contents
        "b-big.txt was not read: the submission's files may hold 0 MB together",
        "data is a symbolic link: not read",
        "main.ipynb is a folder, not a notebook: not read",
        "results.json is a symbolic link: not read",
        "more than 3 files: the others were not read",
        "main.ipynb is missing: its tests get no points",
        "timestamp.txt does not hold a time: ignored",
    ]


@pytest.mark.parametrize("linked", ["student", "assignment"])
def test_a_submitted_folder_that_is_a_link_is_refused(tmp_path, linked):
    other = tmp_path / "submitted" / "bob" / "hw"
    write(other, "main.ipynb", nbformat.writes(release()).encode())
    if linked == "student":
        os.symlink(other.parent, tmp_path / "submitted" / "ann")
    else:
        (tmp_path / "submitted" / "ann").mkdir()
        os.symlink(other, tmp_path / "submitted" / "ann" / "hw")
    assert find_students(tmp_path, "hw") == ["ann", "bob"]
    with pytest.raises(SubmissionRefused, match="is a symbolic link: the submission was not read"):
        read_submission(tmp_path, "hw", "ann", {"main.ipynb": {"answer"}})
