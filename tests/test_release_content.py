"""What each committed release may and may not contain, read from the files alone."""
import nbformat
import pytest

from conftest import RELEASE, SOURCE, hidden_lines, nbgrader_meta, notebooks, solution_lines

# Lines too generic to identify a solution (they also occur in the given code).
GENERIC = {"pass", "return out, cache", "return dx, dgamma, dbeta"}


def stripped_lines(nb):
    return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}


def pairs():
    return [(src, RELEASE / version / src.parent.name / src.name)
            for src in notebooks(SOURCE) for version in ("student", "solution")]


def test_every_source_notebook_is_released():
    for source, released in pairs():
        assert released.exists(), f"{released} is missing: run ./run demo or python -m autograder release"


@pytest.mark.parametrize("source", notebooks(SOURCE), ids=lambda p: p.name)
def test_student_release_has_no_solution_or_hidden_test_line(source):
    src = nbformat.read(source, as_version=4)
    student = nbformat.read(RELEASE / "student" / source.parent.name / source.name, as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    leaked = [line for line in solution_lines(src) + hidden_lines(src)
              if line not in GENERIC and line in stripped_lines(student)]
    assert not leaked, f"student release contains: {leaked[:5]}"
    assert "### BEGIN" not in text and "### END" not in text
    stubs = [c for c in student.cells if nbgrader_meta(c).get("solution") and c.cell_type == "code"]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)


@pytest.mark.parametrize("source", notebooks(SOURCE), ids=lambda p: p.name)
def test_solution_release_has_solutions_without_hidden_tests_or_markers(source):
    src = nbformat.read(source, as_version=4)
    solution = nbformat.read(RELEASE / "solution" / source.parent.name / source.name, as_version=4)
    text = "\n".join(cell.source for cell in solution.cells)
    lines = stripped_lines(solution)
    missing = [line for line in solution_lines(src) if line not in lines]
    assert not missing, f"solution release lacks: {missing[:5]}"
    leaked = [line for line in hidden_lines(src) if line not in GENERIC and line in lines]
    assert not leaked, f"solution release contains hidden tests: {leaked[:5]}"
    assert "### BEGIN" not in text and "### END" not in text
