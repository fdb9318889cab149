"""names_from_notebook: another notebook's cells run as its kernel ran them; clear errors otherwise."""
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from assignments import observing
from assignments.notebook_cells import SKIP_TAG
from assignments.notebook_import import NotebookImportError, names_from_notebook


def cell(grade_id, source, kind="solution", tags=()):
    """A cell with nbgrader metadata: kind is 'solution', 'setup' (locked), 'test' or 'markdown'."""
    make = new_markdown_cell if kind == "markdown" else new_code_cell
    meta = {"grade_id": grade_id, "solution": kind == "solution", "grade": kind == "test",
            "locked": kind in ("setup", "test"), "schema_version": 3}
    if kind == "test":
        meta["points"] = 1
    return make(source, metadata={"nbgrader": meta, "tags": list(tags)})


def write(tmp_path, *cells, name="First.ipynb"):
    path = tmp_path / name
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def test_the_setup_the_solutions_and_the_cells_a_student_added_run_in_order(tmp_path):
    path = write(tmp_path,
                 cell("setup", "import numpy as np\nimport time\nSCALE = 3.0", kind="setup"),
                 new_code_cell("def helper(x):\n    return SCALE * np.asarray(x)"),  # added by the student
                 cell("forward", "def forward(x):\n    time.perf_counter()\n    return helper(x)"),
                 cell("note", "forward is *graded*", kind="markdown"))
    names = names_from_notebook(path, ["forward", "SCALE"])
    assert list(names) == ["forward", "SCALE"]
    np.testing.assert_array_equal(names["forward"]([1, 2]), [3.0, 6.0])


def test_test_cells_and_kernel_only_cells_do_not_run(tmp_path):
    path = write(tmp_path,
                 cell("f", "calls = []\ndef f():\n    return len(calls)"),
                 cell("test_f", "calls.append('a test cell ran')", kind="test"),
                 cell("experiment", "calls.append('an experiment ran')", kind="setup", tags=[SKIP_TAG]))
    assert names_from_notebook(path, ["f"])["f"]() == 0


def test_magics_run_as_in_ipython_or_are_skipped(tmp_path):
    path = write(tmp_path,
                 cell("f", "%%time\ndef f():\n    return 1"),
                 new_code_cell("%matplotlib inline\n!pip list\nlisting = !ls\n%time y = f() + 1"),
                 new_code_cell("%%capture\nprint('hidden')\nz = 5"),
                 new_code_cell("%%bash\nexit 1"))
    names = names_from_notebook(path, ["f", "y", "z", "listing"])
    assert (names["f"](), names["y"], names["z"], names["listing"]) == (1, 2, 5, [])


def test_writefile_writes_beside_the_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, new_code_cell("%%writefile helpers.py\nVALUE = 7"),
          new_code_cell("from helpers import VALUE"), name="BatchNormalization.ipynb")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert names_from_notebook("BatchNormalization.ipynb", ["VALUE"]) == {"VALUE": 7}


def test_each_call_gets_a_fresh_namespace(tmp_path):
    path = write(tmp_path, cell("counter", "calls = []\ndef counter():\n    calls.append(1)\n    return len(calls)"))
    first = names_from_notebook(path, ["counter"])["counter"]
    first(), first()
    assert names_from_notebook(path, ["counter"])["counter"]() == 1


def test_nothing_runs_in_the_graders_trusted_process(tmp_path, monkeypatch):
    path = write(tmp_path, cell("f", "raise SystemExit('student code must not run here')"))
    monkeypatch.setattr(observing, "_judge", lambda fn: None)
    assert names_from_notebook(path, ["f"]) == {}


def test_a_missing_notebook_names_the_file(tmp_path):
    with pytest.raises(NotebookImportError, match=r"no notebook '.*Missing\.ipynb'"):
        names_from_notebook(tmp_path / "Missing.ipynb", ["f"])


def test_an_unreadable_notebook_says_so(tmp_path):
    path = tmp_path / "Broken.ipynb"
    path.write_text("{ not json")
    with pytest.raises(NotebookImportError, match="Broken.ipynb could not be read"):
        names_from_notebook(path, ["f"])


def test_a_missing_name_quotes_the_errors_of_the_cells(tmp_path):
    path = write(tmp_path, cell("f", "undefined_name + 1\ndef f():\n    pass"), cell("g", "def g(:"))
    with pytest.raises(NotebookImportError, match=r"First.ipynb does not define f, h once its cells have run; "
                                                   r"its cells raised: NameError: name 'undefined_name' .* \| "
                                                   r"SyntaxError"):
        names_from_notebook(path, ["f", "h"])


def test_a_student_stub_loads_and_raises_only_when_called(tmp_path):
    """A blank release defines the function; calling it raises, as in the notebook it came from."""
    path = write(tmp_path, cell("f", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"))
    f = names_from_notebook(path, ["f"])["f"]
    with pytest.raises(NotImplementedError):
        f(1)
