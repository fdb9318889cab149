"""A student's notebook run in a sandbox, cell by cell, as nbgrader runs it, and what the run left.

`execute_notebook` runs autograder/grade/sandbox/runner.py in a sandbox
(autograder/sandbox.py), which executes the notebook with nbclient and streams
each finished cell back; the executed notebook is rebuilt here from those
records, with a one-line status of the whole run.
"""
import dataclasses
import json
import pathlib
import signal
import sys
import tempfile
import time

import nbformat

from .sandbox import Limits, last_line, run_in_sandbox

RUNNER = pathlib.Path(__file__).parent / "sandbox" / "runner.py"
RUNNER_IN_SANDBOX = pathlib.Path("/tmp/sandbox_runner.py")


@dataclasses.dataclass
class Execution:
    """
    An executed notebook: every code cell's outputs filled in, and a cell that
    did not run holds a 'NotExecuted' error (so that nbgrader gives it no points).

    status is 'ok' (every cell ran, errors included), 'timeout', 'memory',
    'kernel-died' or 'error' (the run itself failed); message is one line saying what happened.
    """
    notebook: nbformat.NotebookNode
    status: str
    message: str
    seconds: float


def execute_notebook(nb, workdir, *, limits=Limits(), sandbox=True, kernel_name="python3", readonly_paths=(),
                     python_path=(), private_tmp=None, hidden_libraries=()):
    """
    Execute a notebook in a sandbox, cell by cell, as nbgrader does (errors in cells are recorded, not fatal).

    Inputs:
    - nb: The NotebookNode to run (already sanitized by the caller; not modified)
    - workdir: Scratch folder holding the submission's other files; the notebook's working directory
    - limits, sandbox, readonly_paths, python_path, private_tmp, hidden_libraries: as for run_in_sandbox
    - kernel_name: The Jupyter kernel to run it with

    Returns an Execution. Raises as run_in_sandbox.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile() as results:
        runner = RUNNER_IN_SANDBOX if sandbox else RUNNER
        command = [sys.executable, "-I", str(runner), "--result-fd", str(results.fileno()),
                   "--cell-timeout", str(limits.cell_timeout), "--max-output-bytes", str(limits.max_output_bytes),
                   "--kernel", kernel_name]
        run = run_in_sandbox(command, workdir, limits=limits, sandbox=sandbox,
                             stdin=nbformat.writes(nb).encode("utf-8", "replace"), readonly_paths=readonly_paths,
                             python_path=python_path, private_tmp=private_tmp, hidden_libraries=hidden_libraries,
                             files=((RUNNER, RUNNER_IN_SANDBOX),), pass_fds=(results.fileno(),))
        results.seek(0)
        records = _read_records(results)
    status, message, reason = _conclude(nb, records, run, limits)
    return Execution(_assemble(nb, records, reason, limits), status, message, time.monotonic() - started)


def _read_records(results):
    """The cells the runner reported, by index; a last line cut short (the runner killed) ends them."""
    records = {}
    for line in results:
        try:
            record = json.loads(line.decode("utf-8", "replace"))
            records[record["index"]] = record
        except (ValueError, KeyError, TypeError):
            break
    return records


def _conclude(nb, records, run, limits):
    """(status, message, why the cells without a record did not run) of one notebook run."""
    code = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    missing = [index for index in code if index not in records]
    not_run = f"; {len(missing)} cell{'s' * (len(missing) != 1)} not run" if missing else ""
    last = records[max(records)] if records else None
    memory = [index for index, record in records.items() if _out_of_memory(record)]
    if missing and run.timed_out:
        reason = f"the notebook ran past {limits.notebook_timeout:g} s"
        return "timeout", f"{reason} (stopped in {_cell_name(nb, missing[0])}){not_run}", reason
    if last and last["outcome"] in ("stuck", "died"):
        cell = _cell_name(nb, last["index"])
        if last["outcome"] == "stuck":
            status, reason = "timeout", f"{cell} ran past {limits.cell_timeout:g} s and ignored the interrupt"
        else:
            status, reason = "kernel-died", f"the kernel died in {cell} ({_exit_text(last.get('exit'))})"
        # the runner kills no kernel it reports dead: a SIGKILL came from the OOM killer
        if memory or run.out_of_memory or last.get("exit") == -signal.SIGKILL:
            return "memory", f"{reason}, out of memory ({limits.memory_mb} MB){not_run}", reason
        return status, reason + not_run, reason
    if missing:
        reason = f"the run failed ({_exit_text(run.returncode)}): {last_line(run.stderr)}"
        if run.out_of_memory:
            reason = f"the run failed: out of memory ({limits.memory_mb} MB), a process was killed"
            return "memory", reason + not_run, reason
        return "error", reason + not_run, reason
    if memory:
        return "memory", f"{_cell_name(nb, memory[0])} ran out of memory ({limits.memory_mb} MB); every cell ran", ""
    if run.out_of_memory:
        return "memory", f"out of memory ({limits.memory_mb} MB): a process was killed; every cell ran", ""
    interrupted = [index for index, record in records.items() if record["outcome"] == "interrupted"]
    if interrupted:
        return ("timeout", f"{_cell_name(nb, interrupted[0])} ran past {limits.cell_timeout:g} s and was interrupted; "
                "the other cells ran", "")
    failed = sum(any(o.get("output_type") == "error" for o in records[index]["outputs"]) for index in code)
    return "ok", f"{len(code)} code cells ran, {failed} with an error", ""


def _out_of_memory(record):
    """Whether a cell ran out of memory: it raised MemoryError, or IPython printed one it could not format."""
    return any(output.get("ename", "").endswith("MemoryError")
               or output.get("name") == "stderr" and "MemoryError" in output.get("text", "")
               for output in record["outputs"])


def _assemble(nb, records, reason, limits):
    """A copy of nb with each code cell's outputs from its record, and an error where a cell did not finish."""
    executed = nbformat.from_dict(nb)
    endings = {"interrupted": ("CellTimeout", f"this cell ran past {limits.cell_timeout:g} s and was interrupted"),
               "stuck": ("CellTimeout", f"this cell ran past {limits.cell_timeout:g} s and ignored the interrupt"),
               "died": ("KernelDied", "the kernel died while this cell ran")}
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        record = records.get(index)
        if record is None:
            cell.outputs, cell.execution_count = [_error("NotExecuted", f"not run: {reason}")], None
            continue
        cell.outputs = [nbformat.from_dict(output) for output in record["outputs"]]
        cell.execution_count = record["execution_count"]
        if record["outcome"] in endings:
            cell.outputs.append(_error(*endings[record["outcome"]]))
    return executed


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _cell_name(nb, index):
    """'cell 12', with its nbgrader grade id when it has one: 'cell 12 (test_backward)'."""
    grade_id = nb.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")


def _exit_text(status):
    """How a process ended: 'exit status 1', 'killed by SIGSEGV'."""
    if status is None:
        return "exit status unknown"
    if status >= 0:
        return f"exit status {status}"
    try:
        return f"killed by {signal.Signals(-status).name}"
    except ValueError:  # a real-time signal has no name
        return f"killed by signal {-status}"


