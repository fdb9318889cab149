"""functions_from_notebook: functions taken from another notebook's solution cells, clear errors otherwise."""
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from assignments.notebook_import import NotebookImportError, functions_from_notebook


def cell(grade_id, source, kind="code"):
    make = new_code_cell if kind == "code" else new_markdown_cell
    return make(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": kind == "code",
                                               "grade": False, "locked": False, "schema_version": 3}})


def write(tmp_path, *cells, name="First.ipynb"):
    path = tmp_path / name
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def test_runs_only_the_named_cells_in_a_namespace_with_numpy(tmp_path):
    path = write(tmp_path,
                 cell("setup", "raise RuntimeError('the setup cell must not run')"),
                 cell("double", "def double(x):\n    return 2 * np.asarray(x)"),
                 new_code_cell("raise RuntimeError('a cell without nbgrader metadata must not run')"),
                 cell("test_double", "assert False, 'a test cell must not run'"),
                 cell("square", "def square(x):\n    return np.square(x)"))
    functions = functions_from_notebook(path, ["square", "double"])
    assert list(functions) == ["square", "double"]
    np.testing.assert_array_equal(functions["double"]([1, 2]), [2, 4])
    assert functions["square"](3) == 9


def test_cells_share_one_namespace_in_notebook_order(tmp_path):
    path = write(tmp_path,
                 cell("forward", "SCALE = 3.0\ndef forward(x):\n    return SCALE * x"),
                 cell("backward", "def backward(d):\n    return forward(d) / d"))
    functions = functions_from_notebook(str(path), ("forward", "backward"))
    assert functions["backward"](2.0) == 3.0


def test_each_call_gets_a_fresh_namespace(tmp_path):
    path = write(tmp_path, cell("counter", "calls = []\ndef counter():\n    calls.append(1)\n    return len(calls)"))
    first = functions_from_notebook(path, ["counter"])["counter"]
    first(), first()
    assert functions_from_notebook(path, ["counter"])["counter"]() == 1


def test_a_path_relative_to_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path, cell("one", "def one():\n    return 1"), name="BatchNormalization.ipynb")
    monkeypatch.chdir(tmp_path)
    assert functions_from_notebook("BatchNormalization.ipynb", ["one"])["one"]() == 1


def test_a_missing_notebook_names_the_file(tmp_path):
    with pytest.raises(NotebookImportError, match=r"no notebook '.*Missing\.ipynb'"):
        functions_from_notebook(tmp_path / "Missing.ipynb", ["f"])


def test_an_unreadable_notebook_says_so(tmp_path):
    path = tmp_path / "Broken.ipynb"
    path.write_text("{ not json")
    with pytest.raises(NotebookImportError, match="Broken.ipynb could not be read"):
        functions_from_notebook(path, ["f"])


def test_a_missing_cell_names_the_grade_id(tmp_path):
    path = write(tmp_path, cell("f", "def f():\n    pass"),
                 cell("g", "def g():\n    pass", kind="markdown"))
    with pytest.raises(NotebookImportError, match=r"First.ipynb has no code cell with grade id 'g', 'h'"):
        functions_from_notebook(path, ["f", "g", "h"])


def test_a_cell_that_raises_names_the_cell_and_the_error(tmp_path):
    path = write(tmp_path, cell("f", "def f():\n    pass\nundefined_name + 1"))
    with pytest.raises(NotebookImportError,
                       match=r"cell 'f' of First.ipynb raised NameError: name 'undefined_name'") as info:
        functions_from_notebook(path, ["f"])
    assert isinstance(info.value.__cause__, NameError)


def test_a_syntax_error_is_reported_like_any_other_error(tmp_path):
    path = write(tmp_path, cell("f", "%timeit f()\ndef f():\n    pass"))
    with pytest.raises(NotebookImportError, match=r"cell 'f' of First.ipynb raised SyntaxError"):
        functions_from_notebook(path, ["f"])


def test_a_cell_that_defines_no_such_function_says_so(tmp_path):
    path = write(tmp_path, cell("f", "def g():\n    pass\nf = 3"))
    with pytest.raises(NotebookImportError, match=r"cell 'f' of First.ipynb ran but does not define a function f\(\)"):
        functions_from_notebook(path, ["f"])


def test_a_student_stub_loads_and_raises_only_when_called(tmp_path):
    """A blank release defines the function; calling it raises, as in the notebook it came from."""
    path = write(tmp_path, cell("f", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"))
    f = functions_from_notebook(path, ["f"])["f"]
    with pytest.raises(NotImplementedError):
        f(1)
