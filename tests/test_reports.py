"""autograder.reports on notebooks and gradebooks built here: outcomes, Gradescope results, class summary."""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
import sqlalchemy
from nbgrader.api import Base, Gradebook

from autograder.reports import gradescope, scores, summary

# nbgrader's own add_submission triggers these SQLAlchemy warnings
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

SECRET = "assert secret_value == 42"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def graded(source, grade_id, points, outputs=(), cell_type="code", solution=False):
    meta = {"nbgrader": {"grade": True, "solution": solution, "locked": not solution, "grade_id": grade_id,
                         "points": points, "schema_version": 3}}
    if cell_type == "markdown":
        return new_markdown_cell(source, metadata=meta)
    return new_code_cell(source, metadata=meta, outputs=list(outputs))


def stdout(text):
    return new_output("stream", name="stdout", text=text)


def executed_notebook():
    """Two test cells as nbgrader leaves them (one partly passing, one raising), an answer, a plain cell."""
    return new_notebook(cells=[
        new_code_cell("print('setup')", outputs=[stdout("ok    not a graded cell\n")]),
        graded(f"rubric = Rubric(3)\n{SECRET}\nrubric.score()", "test_partial", 3, [
            stdout("dx error: 1e-12   (expected 0e+00 to 1e-08: ok)\nok    first check\n"),
            stdout("FAIL  second check\n      AssertionError: dx: relative error 1e+00\n"
                   "FAIL  stub check\n      NotImplementedError: \nscore: 1 / 3\n"),
            new_output("execute_result", data={"text/plain": "1.0"}, execution_count=2),
        ]),
        graded(f"{SECRET}\nrubric.score()", "test_error", 2, [
            stdout("FAIL  only check\n      ValueError: bad shape\n"),
            new_output("error", ename="AssertionError", evalue="no check passed (1 run)",
                       traceback=["Traceback", f"----> 1 {SECRET}", "AssertionError"]),
        ]),
        graded("YOUR ANSWER HERE", "answer_question", 2, cell_type="markdown", solution=True),
    ])


def test_outcomes_give_each_check_and_the_error_line_without_code():
    found = gradescope.notebook_outcomes(executed_notebook())
    assert [o["grade_id"] for o in found] == ["test_partial", "test_error", "answer_question"]
    partial, error, answer = found
    assert partial == {"grade_id": "test_partial", "points": 3.0, "error": None, "notes": [], "checks": [
        {"description": "first check", "passed": True, "message": None},
        {"description": "second check", "passed": False, "message": "AssertionError: dx: relative error 1e+00"},
        {"description": "stub check", "passed": False, "message": "NotImplementedError"},
    ]}
    assert error["checks"] == [{"description": "only check", "passed": False, "message": "ValueError: bad shape"}]
    assert error["error"] == "AssertionError: no check passed (1 run)"
    assert answer == {"grade_id": "answer_question", "points": 2.0, "checks": [], "notes": [], "error": None}
    assert "secret_value" not in json.dumps(found)


def test_outcomes_read_a_notebook_file(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(executed_notebook(), path)
    assert gradescope.notebook_outcomes(path) == gradescope.notebook_outcomes(str(path)) == gradescope.notebook_outcomes(executed_notebook())


def make_gradebook(db_url, scores):
    """
    A gradebook of assignment 'hw', notebook 'nb' (the cells of executed_notebook), one submission per student.

    scores: {student: (test_partial, test_error, answer_question)}, None for an answer waiting for manual grading.
    """
    # nbgrader's tables made directly: Gradebook would otherwise ask alembic (seconds) for a migration stamp
    engine = sqlalchemy.create_engine(db_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    cells = [("test_partial", 3, "code"), ("test_error", 2, "code"), ("answer_question", 2, "markdown")]
    with Gradebook(db_url) as gb:
        gb.add_assignment("hw")
        gb.add_notebook("nb", "hw")
        for name, points, cell_type in cells:
            gb.add_grade_cell(name, "nb", "hw", max_score=points, cell_type=cell_type)
        gb.add_solution_cell("answer_question", "nb", "hw")
        for student, values in scores.items():
            gb.add_student(student)
            gb.add_submission("hw", student)
            for (name, _, _), value in zip(cells, values):
                grade = gb.find_grade(name, "nb", "hw", student)
                grade.auto_score, grade.needs_manual_grade = value, value is None
            gb.db.commit()


@pytest.fixture
def course(tmp_path):
    """A course folder with gradebook.db and the autograded notebook of student 'ada'."""
    make_gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", {"ada": (1.0, 0.0, None)})
    folder = tmp_path / "autograded" / "ada" / "hw"
    folder.mkdir(parents=True)
    nbformat.write(executed_notebook(), folder / "nb.ipynb")
    return tmp_path


def test_gradescope_results_take_scores_from_the_gradebook_and_outputs_from_the_notebook(course):
    results = gradescope.gradescope_results(f"sqlite:///{course / 'gradebook.db'}", "hw", "ada", course / "autograded")
    assert results["score"] == 1.0
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        ("nb: test_partial", 1.0, 3.0), ("nb: test_error", 0.0, 2.0), ("nb: answer_question", 0.0, 2.0)]
    assert {t["visibility"] for t in results["tests"]} == {"visible"}
    partial, error, answer = (t["output"] for t in results["tests"])
    assert partial.splitlines() == ["ok    first check", "FAIL  second check",
                                    "      AssertionError: dx: relative error 1e+00",
                                    "FAIL  stub check", "      NotImplementedError"]
    assert error.splitlines()[-1] == "error: AssertionError: no check passed (1 run)"
    assert answer.startswith("pending manual grading")
    assert "1 / 7 points" in results["output"] and "nb: answer_question" in results["output"]
    assert "secret_value" not in json.dumps(results) and "Traceback" not in json.dumps(results)


def test_gradescope_results_report_a_notebook_missing_from_the_submission(course):
    (course / "autograded" / "ada" / "hw" / "nb.ipynb").unlink()
    results = gradescope.gradescope_results(f"sqlite:///{course / 'gradebook.db'}", "hw", "ada", course / "autograded")
    assert all("nb.ipynb is not in the submission" in t["output"] for t in results["tests"])


def test_gradescope_results_of_an_unknown_student_is_a_one_line_error(course):
    with pytest.raises(ValueError, match=r"^no submission of 'hw' by 'bob' in sqlite:///\S+$"):
        gradescope.gradescope_results(f"sqlite:///{course / 'gradebook.db'}", "hw", "bob", course / "autograded")


def test_a_missing_gradebook_is_a_one_line_error_and_is_not_created(tmp_path):
    with pytest.raises(ValueError, match=r"^no gradebook at \S+gradebook.db$"):
        gradescope.gradescope_results(f"sqlite:///{tmp_path / 'gradebook.db'}", "hw", "ada", tmp_path)
    with pytest.raises(ValueError, match=r"^no gradebook at "):
        summary.write_class_summary(f"sqlite:///{tmp_path / 'gradebook.db'}", "hw", tmp_path / "out")
    assert not list(tmp_path.iterdir())


def test_write_gradescope_results_writes_results_json_in_the_feedback_folder(course):
    path = gradescope.write_gradescope_results(course, "hw", "ada")
    assert path == course / "feedback" / "ada" / "hw" / "results.json"
    assert json.loads(path.read_text()) == gradescope.gradescope_results(
        f"sqlite:///{course / 'gradebook.db'}", "hw", "ada", course / "autograded")
    assert [p.name for p in path.parent.iterdir()] == ["results.json"], "temporary file left behind"


def test_class_summary_writes_a_page_and_two_png_charts(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    make_gradebook(db_url, {"ada": (3.0, 2.0, None), "bob": (1.5, 0.0, None), "cy": (3.0, 0.0, None)})
    page = summary.write_class_summary(db_url, "hw", tmp_path / "summary")
    assert page == tmp_path / "summary" / "summary.html"
    text = page.read_text()
    for image in (summary.HISTOGRAM, summary.PASS_RATES):
        assert f'src="{image}"' in text
        assert (page.parent / image).read_bytes().startswith(PNG_HEADER)
    assert "3 students" in text and "mean 3.17" in text and "median 3.00" in text
    assert 'href="similarity.html"' in text
    # test_partial: mean 2.5, two of three with full points
    assert "<td>test_partial</td><td>3</td><td>2.50</td><td>67%</td>" in text
    assert "Not judged outside the kernel" not in text


def test_class_summary_says_loudly_which_cells_were_graded_in_the_kernel(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    make_gradebook(db_url, {"ada": (3.0, 2.0, None)})
    line = "Hw.ipynb/test_partial: graded in the kernel, not outside it: the solution earns 0 of 3 points there"
    text = summary.write_class_summary(db_url, "hw", tmp_path / "summary", in_kernel=[line]).read_text()
    assert '<div class="warning">' in text and f"<li>{line}</li>" in text


def test_class_summary_statistics_per_test():
    tests = [("t", 2.0, False), ("answer", 1.0, True)]
    rows = {"a": {"t": 2.0, "answer": None}, "b": {"t": 1.0, "answer": 1.0}}
    assert summary.per_test_statistics(tests, rows) == [
        {"grade_id": "t", "max_score": 2.0, "manual": False, "graded": 2, "mean": 1.5, "pass_rate": 0.5},
        {"grade_id": "answer", "max_score": 1.0, "manual": True, "graded": 1, "mean": 1.0, "pass_rate": 1.0}]


def test_class_summary_of_an_unknown_assignment_is_a_one_line_error(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    make_gradebook(db_url, {})
    with pytest.raises(ValueError, match="^no submission of 'hw'"):
        summary.write_class_summary(db_url, "hw", tmp_path / "out")
    with pytest.raises(ValueError, match="^no assignment 'nope'"):
        summary.write_class_summary(db_url, "nope", tmp_path / "out")


def test_the_compact_table_fits_its_width_and_names_the_tests_that_lost_points():
    tests = [(f"test_some_long_cell_name_{i}", 4, False) for i in range(12)] + [("answer", 2, True)]
    full = {name: points for name, points, _ in tests[:-1]}
    rows = {"correct": {**full, "answer": None}, "blank": {name: 0 for name in full} | {"answer": 0},
            "bug-" + "x" * 60: {**full, "test_some_long_cell_name_3": 1, "test_some_long_cell_name_7": 3.5,
                                "answer": None}}
    lines = scores.format_compact(tests, rows, {"blank": "flagged"}, width=100)
    assert len(lines) == 3 and all(len(line) <= 100 for line in lines)
    blank, bug, correct = lines
    assert "0.00 / 48" in blank and "flagged" in blank and "lost every test (12)" in blank
    assert "44.50 / 48" in bug and "test_some_long_cell_name_3 -3, " in bug and bug.endswith(" ...")  # cut to fit
    assert correct.split() == ["correct", "48.00", "/", "48"]
