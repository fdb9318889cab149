"""Execute one notebook inside the sandbox and stream each executed code cell back to the host.

A standalone script: the `autograder` package is hidden in the sandbox, so this
uses the standard library, nbformat, nbclient and jupyter_client only.
autograder/sandbox.py starts it, with the notebook's JSON on stdin and the
notebook's folder as working directory, as

    python runner.py --result-fd N --cell-timeout S --max-output-bytes B --kernel NAME

and reads one JSON object per line from file descriptor N, one per code cell in
notebook order: {"index", "execution_count", "outputs", "outcome"}, where
outcome is

- "ran": the cell finished (with or without an error);
- "interrupted": it ran past the cell timeout and the interrupt stopped it;
- "stuck": it ran past the timeout and ignored the interrupt: the kernel is
  killed and no later cell runs;
- "died": the kernel died while it ran ("exit": the kernel's exit status,
  negative for a signal): no later cell runs.

Student code cannot write to that stream: the kernel does not inherit the
descriptor, and this process makes itself non-dumpable, so the kernel (the same
user) can neither open /proc/<pid>/fd/N nor ptrace it. Each cell keeps at most
B bytes of output (longer output is cut with a notice) besides the outputs
nbgrader grades it by (see OutputBudget). A failure of the runner itself is
one line on stderr and exit status 1.
"""
import argparse
import asyncio
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import uuid

# jsonschema (imported by nbformat) compiles an optional URI grammar for about a second
# at import time; nothing here validates URIs, so keep it from loading
sys.modules["rfc3987_syntax"] = None

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
import nbformat  # noqa: E402

PR_SET_DUMPABLE = 4
OUTPUT_MESSAGES = {"stream", "display_data", "update_display_data", "execute_result", "error"}
GRADED_BY = ("error", "execute_result", "stderr")  # nbgrader grades a test cell by the first of each
STOPPING = {"stuck", "died"}
MAX_INTERRUPT_GRACE = 5.0  # seconds a cell gets to stop after the interrupt


class OutputBudget:
    """
    What one cell keeps of its output messages: max_bytes of them, and besides
    the first output of each kind in GRADED_BY (one larger than max_bytes is
    replaced by an 'OutputTooLarge' error, which nbgrader also grades 0).
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.clear()

    def clear(self):
        self.spent = 0
        self.graded_by = set()
        self.truncated = False

    def admit(self, msg):
        """Whether to keep an iopub message; an output over the budget is cut or becomes the notice, in place."""
        kind = msg["msg_type"]
        if kind == "clear_output":
            self.clear()
            return True
        if kind not in OUTPUT_MESSAGES:
            return True
        size = len(json.dumps(msg["content"]))
        key = "stderr" if kind == "stream" and msg["content"].get("name") == "stderr" else kind
        if key in GRADED_BY and key not in self.graded_by:
            self.graded_by.add(key)
            if size > self.max_bytes:
                _replace(msg, "error", ename="OutputTooLarge", traceback=[],
                         evalue=f"the cell's {key} output was larger than {self.max_bytes} bytes")
            return True
        if self.spent + size <= self.max_bytes:
            self.spent += size
            return True
        if self.truncated:
            return False
        self.truncated = True
        kept = msg["content"].get("text", "")[:max(0, self.max_bytes - self.spent)] if kind == "stream" else ""
        notice = f"\n[output truncated: the cell wrote more than {self.max_bytes} bytes]\n"
        _replace(msg, "stream", name=msg["content"].get("name", "stdout"), text=kept + notice)
        return True


def _replace(msg, msg_type, **content):
    msg["msg_type"] = msg["header"]["msg_type"] = msg_type
    msg["content"] = content


class BudgetedClient(NotebookClient):
    """nbclient's client, keeping each cell's outputs within `budget` (an OutputBudget set before each cell)."""

    budget = None

    def process_message(self, msg, cell, cell_index):
        if not self.budget.admit(msg):
            return None
        return super().process_message(msg, cell, cell_index)


async def run_cell(client, cell, index, cell_timeout):
    """Execute one code cell, interrupting it after cell_timeout seconds; return its outcome."""
    task = asyncio.ensure_future(
        client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1))
    outcome = "ran"
    done, _ = await asyncio.wait({task}, timeout=cell_timeout)
    if not done:
        outcome = "interrupted"
        await client.km.interrupt_kernel()
        done, _ = await asyncio.wait({task}, timeout=min(MAX_INTERRUPT_GRACE, cell_timeout))
    if not done:
        outcome = "stuck"
        await client.km.shutdown_kernel(now=True)  # nbclient notices the dead kernel within a second
        await asyncio.wait({task})
    try:
        task.result()
    except DeadKernelError:
        return "stuck" if outcome == "stuck" else "died"
    return outcome


async def run(nb, results, *, cell_timeout, max_output_bytes, kernel_name):
    """Execute the code cells of nb in order, writing one JSON line per cell to the results file."""
    # the sandbox has no network: the kernel talks over unix sockets in the private /tmp
    ipc_path = os.path.join(tempfile.mkdtemp(prefix="kernel-"), "ipc")
    km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=ipc_path)
    # allow_errors: as nbgrader, record errors and go on; the random skip tag: a student's
    # "skip-execution" tag must not leave a test cell unexecuted (nbgrader would give it full points)
    client = BudgetedClient(nb, km=km, timeout=None, allow_errors=True, skip_cells_with_tag=uuid.uuid4().hex)
    try:
        await client.async_start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await client.async_start_new_kernel_client()
    except Exception as error:
        raise RuntimeError(f"the kernel did not start ({error})") from None
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.budget = OutputBudget(max_output_bytes)
            outcome = await run_cell(client, cell, index, cell_timeout)
            record = {"index": index, "execution_count": cell.get("execution_count"),
                      "outputs": cell.outputs, "outcome": outcome}
            if outcome == "died":
                record["exit"] = km.provisioner.process.poll() if km.provisioner.process else None
            # lone surrogates from odd kernel output become "?": the host gets valid UTF-8
            results.write(json.dumps(record, ensure_ascii=False).encode("utf-8", "replace") + b"\n")
            results.flush()
            if outcome in STOPPING:
                break
    finally:
        client.kc.stop_channels()
        if km.has_kernel and await km.is_alive():
            await km.shutdown_kernel(now=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--max-output-bytes", type=int, required=True)
    parser.add_argument("--kernel", default="python3")
    args = parser.parse_args(argv)
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    try:
        nb = nbformat.reads(sys.stdin.buffer.read().decode("utf-8", "replace"), as_version=4)
        with os.fdopen(args.result_fd, "wb") as results:
            os.set_inheritable(results.fileno(), False)
            asyncio.run(run(nb, results, cell_timeout=args.cell_timeout,
                            max_output_bytes=args.max_output_bytes, kernel_name=args.kernel))
    except Exception as error:  # the host shows this one line as the run's message
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
