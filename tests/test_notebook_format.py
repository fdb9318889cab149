"""The committed notebooks are clean and their nbgrader metadata is consistent."""
import collections

import nbformat

from conftest import RELEASE, SOURCE, hidden_lines, nbgrader_meta, notebooks, solution_lines


def test_committed_notebooks_carry_no_outputs():
    for path in notebooks(SOURCE) + notebooks(RELEASE / "student") + notebooks(RELEASE / "solution"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path}: a code cell has outputs"
                assert cell.execution_count is None, f"{path}: a code cell has an execution count"


def test_grade_ids_are_unique_and_graded_cells_carry_points(source_notebook):
    nb = nbformat.read(source_notebook, as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    duplicated = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not duplicated, f"duplicate grade ids {duplicated}"
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} is graded but carries no points"


def test_every_solution_cell_has_a_solution_region(source_notebook):
    nb = nbformat.read(source_notebook, as_version=4)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") > 0, \
                meta["grade_id"]
    assert solution_lines(nb) and hidden_lines(nb)


def test_every_test_cell_has_hidden_tests(source_notebook):
    nb = nbformat.read(source_notebook, as_version=4)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            assert cell.source.count("### BEGIN HIDDEN TESTS") == cell.source.count("### END HIDDEN TESTS") == 1, \
                meta["grade_id"]
