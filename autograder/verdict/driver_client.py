"""The judge's end of one notebook's driver (driver.py): started in a sandbox, asked, timed, restarted.

The driver runs the student's cells up to the test cell being judged, then
answers observe requests. Each request gets limits.cell_timeout seconds; a
driver that runs out of time, dies or breaks the protocol is killed, and the
request fails with a StudentCodeError saying so. The next request starts a new
driver, which runs the cells again (skipping the cells that hung), at most
MAX_STARTS times per notebook; after that every request fails at once.
"""
import contextlib
import json
import os
import pathlib
import pickle
import select
import struct
import subprocess
import sys
import time

from assignments import plain_data

from ..grade import sandbox

DRIVER = pathlib.Path(__file__).with_name("driver.py")
DRIVER_IN_SANDBOX = pathlib.Path("/tmp/observe_driver.py")
MAX_STARTS = 3
MAX_REPLY = plain_data.MAX_BYTES + (1 << 20)


class StudentCodeError(Exception):
    """The student's side did not answer: out of time, dead, or speaking nonsense. The message says which."""


class NotebookDriver:
    """
    The sandboxed process that holds one notebook's student code.

    Inputs:
    - notebook: The notebook's file name in workdir
    - cells: Indices of the code cells the driver runs before test cells (notebook_cells.student_code_cells)
    - workdir: Folder holding the submission's files; the driver's working directory
    - limits, use_sandbox, python_path, private_tmp, hidden_libraries: as for sandbox.sandboxed_process
    - watched: Dotted names of library functions the answers may not call (library_calls.py)
    """

    def __init__(self, notebook, cells, workdir, *, limits, use_sandbox, python_path, private_tmp,
                 hidden_libraries=(), watched=()):
        self.notebook = notebook
        self.cells = list(cells)
        self.watched = list(watched)
        self.called = set()    # watched names the student's code called, until the judge takes them
        self.workdir = workdir
        self.options = {"limits": limits, "sandbox": use_sandbox, "python_path": python_path,
                        "private_tmp": private_tmp, "files": ((DRIVER, DRIVER_IN_SANDBOX),),
                        "stderr": subprocess.DEVNULL, "hidden_libraries": hidden_libraries}
        self.timeout = limits.cell_timeout
        self.notes = []        # one line per skipped magic, cell that raised, restart
        self._stack = None
        self._ran = []         # cells the running driver has run
        self._hung = set()     # cells that ran out of time: not run again
        self._starts = 0

    def take_called(self):
        """The watched names called since the last take_called(), sorted."""
        called, self.called = sorted(self.called), set()
        return called

    def close(self):
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def observe(self, spec, before, rng):
        """
        Run the function spec describes after the cells before index `before`; returns the reply (a dict).

        Raises StudentCodeError when the driver does not answer.
        """
        self._catch_up(before)
        return self._ask({"op": "observe", "function": spec, "rng": rng})

    def _catch_up(self, before):
        """Run the cells before index `before` that the running driver has not run; a new driver runs them all."""
        while True:
            self._process()
            for index in self.cells:
                if index < before and index not in self._ran and index not in self._hung:
                    self._run_cell(index)
                    if self._stack is None:  # the cell hung and the driver was killed: a new one starts over
                        break
            else:
                return

    def _run_cell(self, index):
        try:
            reply = self._ask({"op": "run_cell", "index": index})
        except StudentCodeError as error:
            self._hung.add(index)
            self.notes.append(f"cell {index + 1}: {error}; skipped outside the kernel")
            return
        self._ran.append(index)
        self.notes += [f"cell {index + 1}: {note}" for note in reply.get("notes", [])]

    def _ask(self, request):
        process = self._process()
        payload = pickle.dumps(request)
        try:
            process.stdin.write(struct.pack(">Q", len(payload)) + payload)
            process.stdin.flush()
            header = self._read(process, 8)
            size = struct.unpack(">Q", header)[0]
            if size > MAX_REPLY:
                raise StudentCodeError(f"the answer was too large ({size} bytes)")
            reply = json.loads(self._read(process, size))
            if not isinstance(reply, dict):
                raise ValueError("not a dict")
            self.called.update(name for name in reply.get("called", ()) if name in self.watched)
            return reply
        except StudentCodeError:
            self.close()
            raise
        except (OSError, ValueError) as error:
            self.close()
            raise StudentCodeError(f"the process running your code ended or broke off ({type(error).__name__})") \
                from None

    def _read(self, process, size):
        data = bytearray()
        deadline = time.monotonic() + self.timeout
        fd = process.stdout.fileno()
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise StudentCodeError(f"your code ran longer than {self.timeout:g} s")
            chunk = os.read(fd, min(size - len(data), 1 << 20))
            if not chunk:
                raise StudentCodeError("the process running your code ended (it exited, crashed or ran out of memory)")
            data += chunk
        return bytes(data)

    def _process(self):
        if self._stack is None:
            if self._starts >= MAX_STARTS:
                raise StudentCodeError(f"your code stopped answering {MAX_STARTS} times; not run again")
            self._starts += 1
            self._ran = []
            self._stack = contextlib.ExitStack()
            command = [sys.executable, str(DRIVER_IN_SANDBOX), self.notebook, json.dumps(self.watched)]
            try:
                self._process_handle, _ = self._stack.enter_context(
                    sandbox.sandboxed_process(command, self.workdir, **self.options))
            except OSError as error:  # e.g. the submission's files left no room for the sandbox's /tmp
                self.close()
                raise StudentCodeError(f"the sandbox for your code could not start ({error.strerror or error})") \
                    from None
        return self._process_handle
