"""The student's side of an out-of-kernel verdict: run the student's cells, then observe them on request.

    python driver.py NOTEBOOK [WATCHED]

The judge (judge.py) starts this script in a sandbox, in a folder holding the
submission's files, one process per notebook. It imports only the standard
library, numpy and the student package (`assignments`): the grader's own
package is not visible in the sandbox.

Requests come on stdin and replies go out on stdout, each a frame: an 8-byte
big-endian length, then the payload. A request is a pickle (it comes from the
trusted judge); a reply is JSON (the judge trusts nothing in it):

- {"op": "run_cell", "index": i}: run code cell i of NOTEBOOK (a cell the
  student's kernel would run before the test cell being judged) in the
  notebook's namespace, as notebook_cells.CellRunner runs it.
  Reply {"ok": true, "error": null or "Type: message", "notes": [...]}.
- {"op": "observe", "function": SPEC, "rng": {"numpy": state, "torch": state or null}}:
  make the function SPEC describes (shipping.py) next to the student's names,
  set the random states, call it. Reply {"ok": true, "value": JSON text of
  plain_data, "rng": JSON text of plain_data} or {"ok": false, "type": name,
  "builtin": bool, "message": text, "rng": ...}, the message told as in the
  student's kernel (assignments.failures.explain: a bare NotImplementedError
  names the function to write).

WATCHED is a JSON list of dotted names of library functions and classes the
assignment's answers may not use (library_calls.py): they are wrapped before any
cell runs, and every reply says which of them were called while it was
prepared ("called": [name, ...]).

What the student's code prints is discarded: stdout and stdin are moved to
private descriptors before any cell runs.
"""
import importlib
import json
import os
import pickle
import struct
import sys

MAX_MESSAGE = 2000


def main(argv):
    requests, replies = _private_streams()
    os.environ["MPLBACKEND"] = "Agg"
    sys.path.insert(0, os.getcwd())  # modules submitted beside the notebook, as in the kernel
    import numpy as np
    from assignments import plain_data
    from assignments.notebook_cells import CellRunner, read_cells

    cells = read_cells(argv[1])
    watcher = _Watcher(json.loads(argv[2]) if len(argv) > 2 else [])
    namespace = {}
    runner = CellRunner(namespace, argv[1])
    while True:
        header = requests.read(8)
        if len(header) < 8:
            return 0
        request = pickle.loads(requests.read(struct.unpack(">Q", header)[0]))
        if request["op"] == "run_cell":
            error = runner.run(cells[request["index"]]["source"], request["index"])
            reply = {"ok": True, "error": None if error is None else _text(error), "notes": runner.notes}
            runner.notes = []
        else:
            reply = _observe(request, namespace, np, plain_data)
        reply["called"] = watcher.take()
        payload = json.dumps(reply).encode()
        replies.write(struct.pack(">Q", len(payload)) + payload)
        replies.flush()


def _private_streams():
    """(requests, replies): the protocol's streams; fd 0 and 1 then lead nowhere, for the student's code."""
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin = open(os.devnull)
    sys.stdout = open(os.devnull, "w")
    return requests, replies


def _observe(request, namespace, np, plain_data):
    torch = sys.modules.get("torch")
    try:
        np.random.set_state(request["rng"]["numpy"])
        if request["rng"].get("torch") is not None:
            torch = importlib.import_module("torch")
            torch.set_rng_state(request["rng"]["torch"])
        fn = _Maker(namespace).make(request["function"])
        value = fn()
    except BaseException as error:  # the student's code: anything, even SystemExit
        from assignments.failures import explain
        reply = {"ok": False, "type": type(error).__name__, "builtin": type(error).__module__ == "builtins",
                 "message": _shortened(explain(error))}
    else:
        reply = {"ok": True, "value": plain_data.encode(value)}
    torch = sys.modules.get("torch", torch)
    state = {"numpy": np.random.get_state(), "torch": torch.get_rng_state() if torch is not None else None}
    reply["rng"] = plain_data.encode(state)
    return reply


class _Watcher:
    """Wraps the watched library functions (and the forward of watched classes) to record their calls."""

    def __init__(self, names):
        self.called = set()
        for name in names:
            owner, attribute = _owner_of(name)
            target = getattr(owner, attribute, None) if owner is not None else None
            if isinstance(target, type) and callable(getattr(target, "forward", None)):
                target.forward = self._recording(name, target.forward)
            elif callable(target):
                setattr(owner, attribute, self._recording(name, target))

    def _recording(self, name, function):
        def recorded(*args, **kwargs):
            self.called.add(name)
            return function(*args, **kwargs)
        return recorded

    def take(self):
        """The names called since the last take(), sorted."""
        called, self.called = sorted(self.called), set()
        return called


def _owner_of(name):
    """(the module or class holding the last part of a dotted name, that part); (None, part) if not importable."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:-1]:
            owner = getattr(owner, part, None)
        return owner, parts[-1]
    return None, parts[-1]


class _Maker:
    """Makes the objects shipping.py's specs describe, in environments that start from the student's namespace."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.made = {}

    def make(self, spec):
        kind = spec[0]
        if kind == "value":
            return spec[1]
        if kind == "module":
            return importlib.import_module(spec[1])
        if kind == "student":
            if spec[1] not in self.namespace:
                raise NameError(f"name {spec[1]!r} is not defined")
            return self.namespace[spec[1]]
        if kind == "import":
            value = importlib.import_module(spec[1])
            for part in spec[2].split("."):
                value = getattr(value, part)
            return value
        if id(spec) in self.made:
            return self.made[id(spec)]
        return self._function(spec)

    def _function(self, spec):
        _, source, name, freevars, closure, defaults, names = spec
        environment = dict(self.namespace)
        body = f"return {source}" if source.startswith("(") else f"{source}\nreturn {name}"
        indented = "\n".join("    " + line for line in body.splitlines())
        exec(compile(f"def __observed_factory__({', '.join(freevars)}):\n{indented}\n", f"<observed {name}>",
                     "exec"), environment)
        fn = environment.pop("__observed_factory__")(*[self.make(value) for value in closure])
        self.made[id(spec)] = fn
        fn.__defaults__ = tuple(self.make(value) for value in defaults) or None
        environment.update({key: self.make(value) for key, value in names.items()})
        return fn


def _shortened(text):
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _text(error):
    return f"{type(error).__name__}: {_shortened(str(error))}"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
