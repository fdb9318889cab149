"""Run a student's functions on the trusted harness's inputs and send back plain data.

    python driver.py REQUEST_DIR

The trusted verdict (autograder/trusted/) runs this script in a fresh sandboxed
process with the student's code. It is standalone: it imports numpy and the
standard library only, since the harness's package is hidden in the sandbox (the
student's cells import the support package `assignments` themselves). The
harness trusts nothing it writes back: it checks every value itself.

REQUEST_DIR holds the request:

- program.py: the student's solution cells, joined;
- inputs.npz: the input arrays, read with allow_pickle=False;
- calls.json: {"protocol": 1, "seconds": S, "cells": [{"name": N, "lines": [A, B]}, ...],
  "calls": [CALL, ...]}.

Cell N is lines A to B - 1 of program.py (split at "\\n"). Each cell runs on its
own, in order, in one namespace that holds `np`; an error stops that cell only.
Each cell and each call gets S seconds; a function or class that runs out of
time is not called again (its later calls fail at once), so that one endless
loop costs the calls of that function, not the whole run.

A CALL is one of
- {"id", "kind": "call", "fn", "args": [ARG], "kwargs": {name: ARG}, "send": bool, "watch": [i]}:
  fn(*args, **kwargs); sends what it returned (unless send is false) and the
  state after the call of the positional arguments listed in watch;
- {"id", "kind": "map", "fn", "args", "kwargs", "over": i, "stack": key, "pick": [index, ...]}:
  fn once per item of the input array `key`, given in place of argument i (the
  request sends null there); sends the parts returned[pick...] stacked;
- {"id", "kind": "net", "cls", "init": {name: ARG}, "params": {name: ARG}, "steps": [[X, y]],
  "numeric": null or {"X", "y", "h"}}: model = cls(**init), then
  model.params[name] = value for each given parameter, then model.loss(X), or
  model.loss(X, y), for each step. Sends {"params": model.params right after
  construction, "steps": what each loss call returned, "bn_params":
  model.bn_params after each step, "numeric": {name: (plus, minus)}}, where plus
  and minus hold model.loss(X, y)[0] with one entry of the parameter moved by
  +h and by -h: from them the harness takes numeric gradients.

An ARG is a JSON null, boolean, number or string, or
- {"array": key}, optionally with "fortran": true (a copy in Fortran order),
  "transpose": [axes] and "step": [steps] (the view x.transpose(axes)[::s0, ::s1, ...]):
  a fresh copy of an input array; a watched array argument reports that whole copy;
- {"dict": {name: ARG}}, optionally with "extends": REF (a new dict that starts
  from the entries of the dict REF names); {"list": [ARG]}; {"dtype": name};
- a REF, {"ref": id, "path": ["args", i] or ["return", index, ...]}: the live
  object an earlier call received or returned. A call that needs a failed call fails.

The driver writes results.json, {"protocol": 1, "program": [{"cell", "error"}],
"calls": {id: {"ok": true, "value": VALUE, "watched": {"i": VALUE}} or
{"ok": false, "error": "Type: message"}}}, and outputs.npz, the arrays the VALUEs
name. A VALUE is a JSON null, boolean, integer, finite number or string, or
{"float": "nan" | "inf" | "-inf"}, {"array": key}, {"scalar": key} (a numpy
scalar, saved as a 0-d array), {"tuple": [VALUE]}, {"list": [VALUE]},
{"dict": {name: VALUE}}, or {"object": type name} for anything else. A request
that is not valid (malformed JSON, a pickle, an unknown key) is refused: exit
status 2, nothing run, nothing written.
"""
import contextlib
import json
import math
import os
import signal
import sys

import numpy as np

PROTOCOL = 1
MAX_DEPTH = 20  # deeper values (or a cache that contains itself) are sent as {"object": ...}
CALL_KEYS = {
    "call": {"id", "kind", "fn", "args", "kwargs", "send", "watch"},
    "map": {"id", "kind", "fn", "args", "kwargs", "over", "stack", "pick"},
    "net": {"id", "kind", "cls", "init", "params", "steps", "numeric"},
}


class Refused(Exception):
    """The request is not valid; nothing runs."""


class Timeout(Exception):
    """A cell or a call ran longer than the request allows."""


class DependencyFailed(Exception):
    """A call needs an object from an earlier call that failed or does not hold it."""


def main(argv):
    if len(argv) != 2:
        print("usage: python driver.py REQUEST_DIR", file=sys.stderr)
        return 2
    folder = argv[1]
    try:
        request, arrays, program = read_request(folder)
    except Refused as error:
        print(f"driver: request refused: {error}", file=sys.stderr)
        return 2
    np.random.seed(0)  # student code that draws random numbers gives the same verdict on every run
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        namespace, program_errors = run_program(program, request["cells"], request["seconds"])
        session = Session(arrays, namespace, program_errors)
        results = {call["id"]: session.run(call, request["seconds"]) for call in request["calls"]}
    np.savez(os.path.join(folder, "outputs.npz"), **session.outputs.arrays)
    with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"protocol": PROTOCOL, "program": program_errors, "calls": results}, f, allow_nan=False)
    return 0


def read_request(folder):
    """(calls.json as a dict, the input arrays, program.py's text); raises Refused."""
    try:
        with open(os.path.join(folder, "calls.json"), encoding="utf-8") as f:
            request = json.load(f, parse_constant=not_json)
        with np.load(os.path.join(folder, "inputs.npz"), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        with open(os.path.join(folder, "program.py"), encoding="utf-8") as f:
            program = f.read()
    except Exception as error:  # unreadable, malformed JSON, a pickle or an object array: all refused
        raise Refused(f"{type(error).__name__}: {error}") from None
    _validate(request, arrays)
    return request, arrays, program


def not_json(name):
    """For json's parse_constant: NaN and Infinity are not JSON, and neither side accepts them."""
    raise ValueError(f"{name} is not JSON")


def _require(condition, message):
    if not condition:
        raise Refused(message)


def _validate(request, arrays):
    """Raise Refused unless the request follows the format of the module docstring."""
    _require(isinstance(request, dict) and set(request) == {"protocol", "seconds", "cells", "calls"}
             and request["protocol"] == PROTOCOL, "calls.json is not a protocol-1 request")
    _require(_is_number(request["seconds"]) and request["seconds"] > 0, "seconds must be a positive number")
    _require(isinstance(request["cells"], list) and all(
        isinstance(cell, dict) and set(cell) == {"name", "lines"} and isinstance(cell["name"], str)
        and isinstance(cell["lines"], list) and len(cell["lines"]) == 2
        and all(type(n) is int and n >= 0 for n in cell["lines"]) for cell in request["cells"]),
        "cells must be a list of {name, lines: [first, stop]}")
    _require(isinstance(request["calls"], list), "calls must be a list")
    earlier = set()
    for call in request["calls"]:
        _require(isinstance(call, dict) and set(call) == CALL_KEYS.get(call.get("kind"), ()),
                 f"malformed call: {str(call)[:200]}")
        name = call["id"]
        _require(isinstance(name, str) and name not in earlier, f"call id {name!r} is not a new string")
        _validate_call(call, arrays, earlier)
        earlier.add(name)


def _validate_call(call, arrays, earlier):
    where = f"call {call['id']}"
    args = []
    if call["kind"] in ("call", "map"):
        _require(isinstance(call["fn"], str), f"{where}: fn must be a name")
        _require(isinstance(call["args"], list) and isinstance(call["kwargs"], dict), f"{where}: args, kwargs")
        args = call["args"] + list(call["kwargs"].values())
    if call["kind"] == "call":
        _require(isinstance(call["send"], bool), f"{where}: send must be a boolean")
        _require(isinstance(call["watch"], list) and all(
            type(i) is int and 0 <= i < len(call["args"]) for i in call["watch"]), f"{where}: bad watch")
    if call["kind"] == "map":
        _require(type(call["over"]) is int and 0 <= call["over"] < len(call["args"]), f"{where}: bad over")
        _require(call["stack"] in arrays, f"{where}: no input array {call['stack']!r}")
        _require(isinstance(call["pick"], list) and all(type(p) in (int, str) for p in call["pick"]),
                 f"{where}: bad pick")
    if call["kind"] == "net":
        _require(isinstance(call["cls"], str), f"{where}: cls must be a name")
        _require(isinstance(call["init"], dict) and isinstance(call["params"], dict), f"{where}: init, params")
        _require(isinstance(call["steps"], list) and all(
            isinstance(step, list) and len(step) == 2 for step in call["steps"]), f"{where}: bad steps")
        numeric = call["numeric"]
        _require(numeric is None or (isinstance(numeric, dict) and set(numeric) == {"X", "y", "h"}
                                     and _is_number(numeric["h"])), f"{where}: bad numeric")
        args = (list(call["init"].values()) + list(call["params"].values())
                + [arg for step in call["steps"] for arg in step]
                + ([numeric["X"], numeric["y"]] if numeric else []))
    for arg in args:
        _validate_arg(arg, arrays, earlier, where)


def _validate_arg(arg, arrays, earlier, where):
    if arg is None or type(arg) in (bool, int, str) or (type(arg) is float and math.isfinite(arg)):
        return
    _require(isinstance(arg, dict), f"{where}: an argument is not JSON data: {str(arg)[:100]}")
    if "array" in arg:
        _require(set(arg) <= {"array", "fortran", "transpose", "step"} and arg["array"] in arrays
                 and arg.get("fortran", False) in (True, False)
                 and all(_is_int_list(arg.get(key, [])) for key in ("transpose", "step")),
                 f"{where}: bad array argument {arg}")
    elif "dict" in arg:
        _require(set(arg) <= {"dict", "extends"} and isinstance(arg["dict"], dict), f"{where}: bad dict")
        for value in [*arg["dict"].values(), *([arg["extends"]] if "extends" in arg else [])]:
            _validate_arg(value, arrays, earlier, where)
    elif "list" in arg:
        _require(set(arg) == {"list"} and isinstance(arg["list"], list), f"{where}: bad list")
        for value in arg["list"]:
            _validate_arg(value, arrays, earlier, where)
    elif "dtype" in arg:
        _require(set(arg) == {"dtype"} and isinstance(arg["dtype"], str), f"{where}: bad dtype")
    else:
        _require(set(arg) == {"ref", "path"} and arg["ref"] in earlier and isinstance(arg["path"], list)
                 and len(arg["path"]) >= 1 and arg["path"][0] in ("args", "return")
                 and all(type(p) in (int, str) for p in arg["path"][1:]), f"{where}: bad argument {arg}")


def _is_number(value):
    return type(value) in (int, float) and math.isfinite(value)


def _is_int_list(value):
    return isinstance(value, list) and all(type(n) is int for n in value)


@contextlib.contextmanager
def time_limit(seconds):
    """Raise Timeout in the with-block once it has run for `seconds`."""
    def expire(signum, frame):
        raise Timeout(f"ran longer than {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe(error):
    """'Type: message' of an exception the student's code raised (whose __str__ may itself fail)."""
    try:
        message = str(error)
    except Exception:
        message = "(its message could not be shown)"
    return (f"{type(error).__name__}: {message}" if message else type(error).__name__)[:2000]


def run_program(program, cells, seconds):
    """Run each cell of the program in one namespace; return it and [{cell, error}] for the cells that raised."""
    lines = program.split("\n")
    namespace = {"__name__": "__student__", "np": np}
    errors = []
    for cell in cells:
        first, stop = cell["lines"]
        try:
            with time_limit(seconds):
                exec(compile("\n".join(lines[first:stop]), f"<cell {cell['name']}>", "exec"), namespace)
        except BaseException as error:  # SystemExit included: a cell must not end the run
            errors.append({"cell": cell["name"], "error": describe(error)})
    return namespace, errors


class Outputs:
    """The arrays of outputs.npz, and the VALUE encoding (module docstring) that names them."""

    def __init__(self):
        self.arrays = {}

    def encode(self, value, depth=0):
        """A VALUE for value, as it is now: arrays are copied."""
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biufc":
            key = f"o{len(self.arrays)}"
            self.arrays[key] = np.array(value)
            return {"array" if isinstance(value, np.ndarray) else "scalar": key}
        if depth < MAX_DEPTH:
            if isinstance(value, (tuple, list)):  # a namedtuple is a tuple, as for unpacking
                tag = "tuple" if isinstance(value, tuple) else "list"
                return {tag: [self.encode(item, depth + 1) for item in value]}
            if isinstance(value, dict) and all(type(key) is str for key in value):
                return {"dict": {key: self.encode(item, depth + 1) for key, item in value.items()}}
        return {"object": type(value).__name__}


class Session:
    """The calls of one request, with the live objects later calls refer to."""

    def __init__(self, arrays, namespace, program_errors):
        self.arrays = arrays
        self.namespace = namespace
        self.program_errors = program_errors
        self.outputs = Outputs()
        self.live = {}  # call id -> {"args": [...], "return": value}, or the error message of a failed call
        self.too_slow = {}  # function name -> the call in which it ran out of time: it is not called again

    def run(self, call, seconds):
        """Perform one call within its time; return its result entry."""
        runner = {"call": self.run_call, "map": self.run_map, "net": self.run_net}[call["kind"]]
        try:
            with time_limit(seconds):
                result, self.live[call["id"]] = runner(call)
        except BaseException as error:  # whatever the student's code raises is this call's outcome
            if isinstance(error, Timeout):
                self.too_slow[call.get("fn") or call["cls"]] = call["id"]
            self.live[call["id"]] = describe(error)
            return {"ok": False, "error": describe(error)}
        return result

    def run_call(self, call):
        fn = self.function(call["fn"])
        args, watched = self.positional(call["args"])
        value = fn(*args, **self.keywords(call["kwargs"]))
        result = {"ok": True, "watched": {str(i): self.outputs.encode(watched[i]) for i in call["watch"]}}
        if call["send"]:
            result["value"] = self.outputs.encode(value)
        return result, {"args": args, "return": value}

    def run_map(self, call):
        fn = self.function(call["fn"])
        parts = []
        for item in self.arrays[call["stack"]]:
            args, _ = self.positional(call["args"])
            args[call["over"]] = np.array(item)
            part = fn(*args, **self.keywords(call["kwargs"]))
            for index in call["pick"]:
                part = part[index]
            if not isinstance(part, np.ndarray):
                raise TypeError(f"{call['fn']} returned {type(part).__name__} at {call['pick']}, not an array")
            parts.append(part)
        return {"ok": True, "value": self.outputs.encode(np.stack(parts))}, {"args": [], "return": None}

    def run_net(self, call):
        model = self.function(call["cls"])(**self.keywords(call["init"]))
        sent = {"params": self.outputs.encode(model.params)}
        for name, arg in call["params"].items():
            model.params[name] = self.build(arg)
        steps, states = [], []
        for X, y in call["steps"]:
            X, y = self.build(X), self.build(y)
            steps.append(self.outputs.encode(model.loss(X) if y is None else model.loss(X, y)))
            states.append(self.outputs.encode(model.bn_params))
        sent["steps"], sent["bn_params"] = {"list": steps}, {"list": states}
        numeric = call["numeric"]
        if numeric:
            losses = perturbed_losses(model, self.build(numeric["X"]), self.build(numeric["y"]), numeric["h"])
            sent["numeric"] = self.outputs.encode(losses)
        return {"ok": True, "value": {"dict": sent}}, {"args": [], "return": model}

    def function(self, name):
        if name in self.too_slow:
            raise Timeout(f"not called again after it ran out of time in call {self.too_slow[name]}")
        value = self.namespace.get(name)
        if callable(value):
            return value
        failed = "; ".join(f"cell {e['cell']} raised {e['error']}" for e in self.program_errors)
        raise NameError(f"the program defines no {name}" + (f" ({failed})" if failed else ""))

    def positional(self, args):
        """The positional arguments, and what a watch reports for each (an array view's whole copy)."""
        values, watched = [], []
        for arg in args:
            if isinstance(arg, dict) and "array" in arg:
                base = self.copy_of(arg)
                values.append(view(base, arg))
                watched.append(base)
            else:
                values.append(self.build(arg))
                watched.append(values[-1])
        return values, watched

    def keywords(self, kwargs):
        return {name: self.build(arg) for name, arg in kwargs.items()}

    def copy_of(self, arg):
        return np.array(self.arrays[arg["array"]], order="F" if arg.get("fortran") else "K")

    def build(self, arg):
        """A fresh value for an ARG (a REF gives the live object itself)."""
        if not isinstance(arg, dict):
            return arg
        if "array" in arg:
            return view(self.copy_of(arg), arg)
        if "dict" in arg:
            value = dict(self.resolve(arg["extends"])) if "extends" in arg else {}
            value.update({name: self.build(item) for name, item in arg["dict"].items()})
            return value
        if "list" in arg:
            return [self.build(item) for item in arg["list"]]
        if "dtype" in arg:
            return np.dtype(arg["dtype"])
        return self.resolve(arg)

    def resolve(self, ref):
        target = self.live[ref["ref"]]
        if isinstance(target, str):
            raise DependencyFailed(f"it needs call {ref['ref']}, which failed: {target}")
        value = target[ref["path"][0]]
        try:
            for index in ref["path"][1:]:
                value = value[index]
        except Exception as error:
            raise DependencyFailed(f"call {ref['ref']} has no {ref['path']}: {describe(error)}") from None
        return value


def view(array, arg):
    """The view of an input array an ARG asks for (transposed, then strided)."""
    if "transpose" in arg:
        array = array.transpose(arg["transpose"])
    if "step" in arg:
        array = array[tuple(slice(None, None, step) for step in arg["step"])]
    return array


def perturbed_losses(model, X, y, h):
    """{name: (plus, minus)}: model.loss(X, y)[0] with each entry of the parameter moved by +h and by -h."""
    losses = {}
    for name in sorted(model.params):
        param = model.params[name]
        plus, minus = np.empty(param.shape), np.empty(param.shape)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + h
            plus[index] = model.loss(X, y)[0]
            param[index] = saved - h
            minus[index] = model.loss(X, y)[0]
            param[index] = saved
        losses[name] = (plus, minus)
    return losses


if __name__ == "__main__":
    sys.exit(main(sys.argv))
