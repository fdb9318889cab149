"""The trusted half of an out-of-kernel verdict: the instructor's test cells, run where no student code runs.

    python -m autograder.verdict.judge REQUEST.json RESULT.json

For each notebook of a submission, in a namespace of its own, the judge runs
the instructor's cells as the release has them (the setup cells, then each
test cell, hidden tests included) in notebook order; the student's cells never
run here. Where a test cell calls observe(fn), fn is shipped (shipping.py) to
the notebook's driver (driver_client.py), which runs the student's cells before
that test cell in a sandbox and calls it there. Cells tagged to run in the
kernel only (experiments) are left out, as the driver leaves them out.

Each test cell's printed text and its last expression (the points, read by
nbgrader as it reads a kernel's) become the cell's outputs, as a kernel's would
be, so that nbgrader saves the grade from them. REQUEST.json holds
{"notebooks": {file name: notebook JSON}, "workdir", "limits": sandbox.Limits
fields, "sandbox": bool, "python_path": [folders], "private_tmp": folder or null,
"secret": the course's secret or null, "flagged_calls": [dotted name, ...],
"hidden_libraries": [import name, ...]}; RESULT.json gets {file name: what judge_notebook returns}.
"""
import ast
import builtins
import contextlib
import io
import json
import pathlib
import sys

import numpy as np
from IPython.core.inputtransformer2 import TransformerManager

from assignments import observing, plain_data
from assignments.notebook_cells import (CellRunner, cells_of, is_skipped, is_test_cell, nbgrader_meta,
                                        student_code_cells)

from ..grade.sandbox import Limits
from .driver_client import NotebookDriver
from .shipping import StudentName, function_spec
from .library_calls import static_uses


def judge_notebook(cells, name, *, workdir, limits, use_sandbox, python_path, private_tmp, hidden_libraries=(),
                   flagged_calls=()):
    """
    Run one notebook's instructor cells with its student code observed in a sandbox.

    Inputs:
    - cells: The submission's cells (notebook_cells.cells_of: instructor cells restored by nbgrader,
      hidden tests included)
    - name: Its file name in workdir
    - workdir, limits, use_sandbox, python_path, private_tmp, hidden_libraries: where and how the driver runs
    - flagged_calls: Dotted names of library functions the answers may not call (library_calls.py)

    Returns {"cells": {grade id: [nbformat output dicts]}, "notes": [line, ...],
    "shortcuts": {grade id: [flagged name, ...]}, "static_shortcuts": [flagged name, ...]}: the names
    the student's code called while a test cell observed it, and those its cells refer to.
    """
    code_cells = {id(cell): index for index, cell in enumerate(cells)}
    driver = NotebookDriver(name, [code_cells[id(cell)] for cell in student_code_cells(cells)], workdir,
                            limits=limits, use_sandbox=use_sandbox, python_path=python_path,
                            private_tmp=private_tmp, hidden_libraries=hidden_libraries, watched=flagged_calls)
    namespace = {}
    runner = CellRunner(namespace, f"judge {name}")
    outputs, shortcuts = {}, {}
    try:
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code" or is_skipped(cell):
                continue
            if is_test_cell(cell) or _is_instructor_cell(cell):
                _stand_in_for_student_names(namespace, cell["source"])
            if is_test_cell(cell):
                observing._judge = _Observer(namespace, runner, driver, index)
                grade_id = nbgrader_meta(cell).get("grade_id", str(index))
                outputs[grade_id] = _judged_outputs(runner, cell, index)
                called = driver.take_called()
                if called:
                    shortcuts[grade_id] = called
                    outputs[grade_id].insert(0, {"output_type": "stream", "name": "stdout", "text": (
                        f"FLAG  your code called {', '.join(called)}, which this assignment's answers may not use: "
                        f"the instructor will review this cell\n")})
            elif _is_instructor_cell(cell):
                observing._judge = _Observer(namespace, runner, driver, index)
                with contextlib.redirect_stdout(io.StringIO()):
                    runner.run(cell["source"], index)
    finally:
        observing._judge = None
        driver.close()
    student = [cell["source"] for cell in student_code_cells(cells) if not _is_instructor_cell(cell)]
    setup = [cell["source"] for cell in cells if _is_instructor_cell(cell)]
    return {"cells": outputs, "notes": driver.notes + runner.notes, "shortcuts": shortcuts,
            "static_shortcuts": static_uses(student, flagged_calls, setup)}


def _stand_in_for_student_names(namespace, source):
    """Bind a StudentName to each name the cell reads that neither the judge's cells nor Python define."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in namespace and not hasattr(builtins, node.id):
            namespace[node.id] = StudentName(node.id)


def _is_instructor_cell(cell):
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked")) and not meta.get("solution") and not meta.get("grade")


def _judged_outputs(runner, cell, index):
    """A test cell's outputs as nbformat output dicts: what it printed, then its value or its error."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        value, error = runner.evaluate(cell["source"], index)
    text = printed.getvalue()
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
    if error is not None:
        ename, evalue = type(error).__name__, str(error)
        # as IPython shows it: the lines of its _render_traceback_ hook (assignments.failures), else one line
        shown = error._render_traceback_() if hasattr(error, "_render_traceback_") else [f"{ename}: {evalue}"]
        outputs.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": shown})
    elif value is not None:
        outputs.append({"output_type": "execute_result", "data": {"text/plain": repr(value)}, "metadata": {},
                        "execution_count": None})
    return outputs


class _Observer:
    """observe() in the judge: ship fn, run it next to the student's code, rebuild its result here."""

    def __init__(self, namespace, runner, driver, index):
        self.namespace, self.runner, self.driver, self.index = namespace, runner, driver, index

    def __call__(self, fn):
        spec = function_spec(fn, self.namespace, self.runner.sources)
        torch = sys.modules.get("torch")
        rng = {"numpy": np.random.get_state(), "torch": torch.get_rng_state() if torch is not None else None}
        reply = self.driver.observe(spec, self.index, rng)
        _restore_rng(reply.get("rng"), torch)
        if reply.get("ok") is True:
            return plain_data.decode(reply["value"])
        raise _rebuilt_error(reply)


def _restore_rng(text, torch):
    """Take the random states the student's code left (as the kernel would); ignore malformed ones."""
    with contextlib.suppress(Exception):
        state = plain_data.decode(text)
        np.random.set_state(tuple(state["numpy"]))
        if torch is not None and state.get("torch") is not None:
            torch.set_rng_state(state["torch"])


def _rebuilt_error(reply):
    """An exception whose type name and message are those the student's code raised."""
    name, message = str(reply.get("type", "Error")), str(reply.get("message", ""))
    base = getattr(builtins, name, None) if reply.get("builtin") is True else None
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = Exception
    kind = type(name if name.isidentifier() else "Error", (base,), {"__str__": lambda self: message})
    try:
        return kind.__new__(kind)
    except TypeError:  # a builtin whose __new__ wants arguments
        return type(kind.__name__, (Exception,), {"__str__": lambda self: message})()


def main(argv):
    request = json.loads(pathlib.Path(argv[1]).read_text())
    observing._secret = request["secret"]  # this process only: hidden_seed() mixes it in
    result = {}
    for name, text in request["notebooks"].items():
        result[name] = judge_notebook(
            cells_of(json.loads(text)), name, workdir=pathlib.Path(request["workdir"]),
            limits=Limits(**request["limits"]), use_sandbox=request["sandbox"],
            python_path=tuple(request["python_path"]), private_tmp=request["private_tmp"],
            flagged_calls=request["flagged_calls"], hidden_libraries=tuple(request["hidden_libraries"]))
    pathlib.Path(argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
