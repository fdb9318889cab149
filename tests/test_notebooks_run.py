"""Whole notebooks run in a Jupyter kernel: the solutions pass every test, the student release none."""
import shutil

import pytest

from conftest import (RELEASE, execute, graded_cells, has_error, nbgrader_meta, notebooks, points_shown)

pytestmark = pytest.mark.e2e


def execute_copy(path, tmp_path):
    """Execute path in a scratch copy of its folder (other notebooks of the folder included)."""
    folder = shutil.copytree(path.parent, tmp_path / path.parent.name)
    return execute(folder / path.name, folder)


def stderr_of(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")


def test_source_notebook_earns_every_point_hidden_tests_included(source_notebook, tmp_path):
    nb = execute_copy(source_notebook, tmp_path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not has_error(cell), f"{nbgrader_meta(cell).get('grade_id')} raised"
            assert not stderr_of(cell), f"{nbgrader_meta(cell).get('grade_id')} wrote to stderr"
    for cell in graded_cells(nb):
        meta = nbgrader_meta(cell)
        assert points_shown(cell) == meta["points"], f"{meta['grade_id']}: {points_shown(cell)}"
        assert "FAIL" not in "".join(o.get("text", "") for o in cell.outputs)


@pytest.mark.parametrize("path", notebooks(RELEASE / "solution"), ids=lambda p: p.name)
def test_solution_release_runs_alone_outside_the_repository(path, tmp_path):
    """A student with only the release folder and the installed package can run it."""
    nb = execute_copy(path, tmp_path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not has_error(cell), f"{nbgrader_meta(cell).get('grade_id')} raised"
    for cell in graded_cells(nb):
        assert points_shown(cell) == nbgrader_meta(cell)["points"]


@pytest.mark.parametrize("path", notebooks(RELEASE / "student"), ids=lambda p: p.name)
def test_student_release_passes_no_graded_test(path, tmp_path):
    nb = execute_copy(path, tmp_path)
    graded = graded_cells(nb)
    assert graded
    passing = [nbgrader_meta(c)["grade_id"] for c in graded if not has_error(c)]
    assert not passing, f"graded cells that pass without any student code: {passing}"
    errors = [o for c in graded for o in c.outputs if o.output_type == "error"]
    # each error is a stub not implemented yet, or a question not answered yet
    stubs_only = [o.ename == "NotImplementedError" or "not implemented yet" in o.evalue or " is None" in o.evalue
                  for o in errors]
    assert all(stubs_only), {f"{o.ename}: {o.evalue}" for o in errors}
