"""The course's nbgrader preprocessors on small notebooks built here."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.preprocessors import HideHiddenTests, RemoveSolutionMarkers


def cell(source, **nbgrader):
    meta = {"grade": False, "solution": False, "locked": False, "grade_id": "c", "schema_version": 3}
    meta.update(nbgrader)
    return new_code_cell(source, metadata={"nbgrader": meta})


def run(preprocessor, *cells):
    nb = new_notebook(cells=list(cells))
    preprocessor.preprocess(nb, {})
    return nb.cells


def test_solution_markers_are_removed_and_the_code_kept():
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    (out,) = run(RemoveSolutionMarkers(), cell(source, solution=True))
    assert out.source == "def f():\n    return 1"


def test_markers_outside_solution_cells_are_left_alone():
    source = "print('### BEGIN SOLUTION')"
    (out,) = run(RemoveSolutionMarkers(), cell(source))
    assert out.source == source


def test_hidden_tests_are_replaced_and_their_tracebacks_cut():
    source = ("visible = 1\n### BEGIN HIDDEN TESTS\nassert secret_value == 42\n"
              "### END HIDDEN TESTS\nrubric.score()")
    graded = cell(source, grade=True, points=2)
    graded.outputs = [
        new_output("stream", name="stdout", text="FAIL  the secret check\n"),
        new_output("error", ename="AssertionError", evalue="no check passed (1 run)",
                   traceback=["Traceback", "----> 3 assert secret_value == 42", "AssertionError"]),
    ]
    (out,) = run(HideHiddenTests(), graded)
    assert "secret_value" not in out.source
    assert out.source.startswith("visible = 1\n# [hidden tests")
    assert out.source.endswith("rubric.score()")
    assert out.outputs[0].text == "FAIL  the secret check\n"
    assert out.outputs[1].traceback == ["AssertionError: no check passed (1 run)"]
    assert "secret_value" not in nbformat.writes(nbformat.from_dict(new_notebook(cells=[out])))


def test_cells_without_hidden_tests_keep_their_traceback():
    graded = cell("assert visible", grade=True, points=1)
    graded.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=["frame", "line"])]
    (out,) = run(HideHiddenTests(), graded)
    assert out.outputs[0].traceback == ["frame", "line"]
