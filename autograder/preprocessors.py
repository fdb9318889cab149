"""nbgrader preprocessors the course plugs into nbgrader's own pipelines (see nbgrader_config.py).

- ``RemoveSolutionMarkers`` (generate_solution): keep the solution code, drop
  the ``### BEGIN/END SOLUTION`` lines around it.
- ``HideHiddenTests`` (generate_feedback): the feedback shows what each hidden
  check printed and the points it earned, never its code; an error in a
  hidden-test cell is shown as its last line, without the traceback that would
  quote the hidden code.
"""
import copy
import re

from assignments.notebook_cells import is_test_cell, nbgrader_meta
from assignments.outcomes import error_line
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils
from traitlets import Unicode

# nbgrader's own default delimiters (ClearSolutions, ClearHiddenTests)
_SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_HIDDEN_REGION = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.M | re.S)


class RemoveSolutionMarkers(NbGraderPreprocessor):
    """Delete the lines that delimit solution regions, keeping the code between them."""

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_solution(cell):
            lines = cell.source.splitlines()
            cell.source = "\n".join(line for line in lines if not _SOLUTION_MARKER.match(line))
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Replace hidden-test code by a notice and strip tracebacks from the cells that had it."""

    notice = Unicode(
        "# [hidden tests: their code is not shown; what they printed is below]",
        help="The line that replaces each hidden-test region in the feedback.",
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not _HIDDEN_REGION.search(cell.source):
            return cell, resources
        cell.source = _HIDDEN_REGION.sub(self.notice, cell.source)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [error_line(output)]
        return cell, resources


def without_hidden_tests(nb, keep=frozenset()):
    """
    A copy of nb whose test cells hold no hidden-test region, but for those whose
    grade id is in keep: what a student's kernel and sandbox may see.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_test_cell(cell) and nbgrader_meta(cell).get("grade_id") not in keep:
            cell.source = _HIDDEN_REGION.sub("", cell.source)
    return nb
