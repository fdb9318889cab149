"""What the trusted verdict takes from a student's notebooks: graded test cells, and solution code as one program.

The solution code cells (nbgrader metadata solution: true) of all notebooks are
joined, notebook after notebook in the order given, so that the functions of
SpatialBatchNorm.ipynb find the vanilla batch norm of BatchNormalization.ipynb.
Each cell's source is taken as the kernel runs it: IPython's transformations
turn magics such as `%timeit` into calls, so that a magic costs its own line
rather than a SyntaxError for the whole cell.
"""
import dataclasses

from IPython.core.inputtransformer2 import TransformerManager


@dataclasses.dataclass(frozen=True)
class GradedCell:
    """A graded code cell (a test cell): notebook file name, grade id and points."""
    notebook: str
    grade_id: str
    points: float


@dataclasses.dataclass(frozen=True)
class SolutionCell:
    """A solution code cell: notebook file name, grade id and source as the kernel runs it."""
    notebook: str
    grade_id: str
    source: str

    @property
    def name(self):
        return f"{self.notebook}/{self.grade_id}"


def _code_cells(notebooks, order, flag):
    """(notebook name, grade id, cell) of the code cells whose nbgrader metadata has flag set."""
    for name in order:
        if name not in notebooks:
            continue
        for index, cell in enumerate(notebooks[name].cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get(flag):
                yield name, meta.get("grade_id", f"cell-{index}"), cell, meta


def graded_cells(notebooks, order):
    """
    The graded code cells of the notebooks, in the order of `order` then of their cells.

    Inputs:
    - notebooks: {notebook file name: NotebookNode}
    - order: Notebook file names in the order to take them; other names are ignored

    Returns a list of GradedCell.
    """
    return [GradedCell(name, grade_id, float(meta.get("points", 0)))
            for name, grade_id, _, meta in _code_cells(notebooks, order, "grade")]


def solution_cells(notebooks, order):
    """The solution code cells (list of SolutionCell), notebooks in the order of `order`, cells in notebook order."""
    transform = TransformerManager().transform_cell
    return [SolutionCell(name, grade_id, transform(cell.source))
            for name, grade_id, cell, _ in _code_cells(notebooks, order, "solution")]


def program(cells):
    """
    The cells joined into one script, as driver.py reads it.

    Returns (text, table): table is [{"name", "lines": [first, stop]}], the lines
    (split at "\\n") of each cell's source in text, which also has a comment
    line naming each cell before it.
    """
    lines, table = [], []
    for cell in cells:
        lines.append(f"# %% {cell.name}")
        source = cell.source.split("\n")
        table.append({"name": cell.name, "lines": [len(lines), len(lines) + len(source)]})
        lines += source
    return "\n".join(lines), table
