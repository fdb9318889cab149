"""A notebook's code cells run outside Jupyter, as the student's kernel runs them.

The second notebook of an assignment imports what the student wrote in the first
(`assignments.notebook_import`), and the grader runs a student's cells again in a
sandbox to observe them outside their kernel. Both run the cells here, so that
they see what the student's kernel saw:

- every code cell but the graded test cells and the cells tagged
  SKIP_TAG (long instructor cells, such as experiments), in notebook order, in
  one namespace, as IPython does; a cell that raises stops there, and the next
  cell still runs, as under `nbgrader autograde`;
- IPython syntax is translated by IPython itself: the cell magics that time or
  capture a cell (%%time, %%timeit, %%capture, %%prun) run their body once,
  %%writefile writes its file, line magics that time a statement run it; every
  other magic and shell command (!ls, %pip, %matplotlib) is skipped, and noted;
- `display` does nothing, `get_ipython()` answers for the magics above.

A cell's role comes from its nbgrader metadata: a graded cell that is not a
solution is a test cell; a cell without metadata (one the student added) runs.
"""
import ast
import contextlib
import io
import json
import pathlib
import timeit

SKIP_TAG = "skip-outside-kernel"
_BODY_MAGICS = {"time", "timeit", "capture", "prun", "memit"}  # cell magics whose body runs once, as written


def nbgrader_meta(cell):
    """The cell's nbgrader metadata, {} when it has none or it is malformed."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell):
    """True for an autograder test cell: graded, not a solution (nbgrader's own definition)."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_skipped(cell):
    """True for a cell tagged SKIP_TAG: it runs in the kernel only."""
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and SKIP_TAG in tags


def student_code_cells(cells):
    """The code cells the student's code lives in, with the setup cells around them: all but test and skipped cells."""
    return [cell for cell in cells
            if cell.get("cell_type") == "code" and not is_test_cell(cell) and not is_skipped(cell)]


def read_cells(path):
    """
    The cells of a notebook file as dicts, each cell's source one string.

    Reads the JSON directly (nbformat's import alone can take seconds).
    Raises ValueError when the file is not a version 4 notebook, OSError when it cannot be read.
    """
    with open(path, encoding="utf-8") as file:
        return cells_of(json.load(file))


def cells_of(nb):
    """The cells of a notebook given as parsed JSON (a dict), as read_cells returns them; ValueError as there."""
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise ValueError("not a version 4 notebook")
    cells = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            raise ValueError("a cell is not a JSON object")
        source = cell.get("source", "")
        cells.append({**cell, "source": "".join(source) if isinstance(source, list) else str(source)})
    return cells


class CellRunner:
    """
    Runs cells, IPython syntax included, in one namespace.

    Inputs:
    - namespace: The dict the cells run in (it gets get_ipython, display and __name__ '__main__')
    - label: Names the cells in tracebacks, e.g. 'BatchNormalization.ipynb'
    """

    def __init__(self, namespace, label):
        from IPython.core.inputtransformer2 import TransformerManager
        self.namespace = namespace
        self.label = label
        self.notes = []    # one line per magic or shell command skipped
        self.sources = {}  # {code file name: the Python it ran}: where a function's source is found again
        self._transformer = TransformerManager()
        namespace.setdefault("__name__", "__main__")
        namespace["get_ipython"] = lambda: self
        namespace["display"] = lambda *objects, **options: None

    def run(self, source, name):
        """
        Run one cell's source. Returns None, or the exception it raised (the cell stops there).
        """
        return self.evaluate(source, name)[1]

    def evaluate(self, source, name):
        """
        Run one cell's source as IPython does, its last line evaluated if it is an expression.

        Returns (the last expression's value or None, None), or (None, the exception the cell raised).
        """
        try:
            code = self._transformer.transform_cell(source)
            filename = f"<{self.label}, cell {name}>"
            self.sources[filename] = code
            tree = ast.parse(code, filename)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, filename, "exec"), self.namespace)
            if last is None:
                return None, None
            return eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace), None
        except Exception as error:  # the cell's own code: anything goes, as in a kernel
            return None, error

    # what IPython's transformed code calls
    def run_cell_magic(self, magic, line, body):
        if magic in _BODY_MAGICS:
            with contextlib.redirect_stdout(io.StringIO()) if magic == "capture" else contextlib.nullcontext():
                exec(compile(body, f"<{self.label}, %%{magic} body>", "exec"), self.namespace)
        elif magic == "writefile":
            self._write_file(line, body)
        else:
            self.notes.append(f"%%{magic} skipped outside the kernel")

    def run_line_magic(self, magic, line):
        if magic in ("time", "timeit", "prun") and line.strip():
            statement = line.split(None, 1)[-1] if line.lstrip().startswith("-") else line
            if magic == "timeit":
                timeit.timeit(statement, number=1, globals=self.namespace)
                return None
            try:
                return eval(compile(statement, f"<{self.label}, %{magic}>", "eval"), self.namespace)
            except SyntaxError:
                exec(compile(statement, f"<{self.label}, %{magic}>", "exec"), self.namespace)
                return None
        self.notes.append(f"%{magic} skipped outside the kernel")
        return None

    def system(self, command):
        self.notes.append(f"!{command.split()[0] if command.split() else ''} skipped outside the kernel")

    def getoutput(self, command):
        self.system(command)
        return []

    def _write_file(self, line, body):
        words = line.split()
        append = "-a" in words or "--append" in words
        names = [w for w in words if not w.startswith("-")]
        if not names:
            raise ValueError("%%writefile needs a file name")
        with pathlib.Path(names[-1].strip("'\"")).open("a" if append else "w", encoding="utf-8") as file:
            file.write(body)
