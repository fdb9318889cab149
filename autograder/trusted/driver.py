"""Run a student's functions on the trusted harness's inputs and send back plain data.

    python driver.py REQUEST_DIR

The trusted verdict (autograder/trusted/) runs this script in a fresh sandboxed
process with the student's code. It is standalone: it imports numpy and the
standard library only, since the harness's package is hidden in the sandbox (the
student's cells import the support package `assignments` themselves), and a
module a request names (PyTorch, for tensors and {"import"} arguments) only when
a call needs it. The harness trusts nothing it writes back: it checks every value itself.

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
  state after the call of the positional arguments listed in watch. fn is the
  name of a function or class the program defines (a class: the call constructs
  an object), a REF to a callable, such as a method of an object an earlier
  call made: {"ref": id, "path": ["return", {"attr": "forward"}]}, or an
  {"import": name} (a library's function or class, e.g. "torch.nn.Linear");
- {"id", "kind": "map", "fn", "args", "kwargs", "over": i, "stack": key, "pick": [index, ...]}:
  fn once per item of the input array `key`, given in place of argument i (the
  request sends null there); sends the parts returned[pick...] stacked;
- {"id", "kind": "read", "of": ARG}: sends the value of ARG as it is now, e.g. an
  attribute of a live object (a REF whose path ends in {"attr": name}) or a name
  the program defines ({"global": name});
- {"id", "kind": "set", "of": REF, "attr": name, "value": ARG}: setattr(object, name, value);
- {"id", "kind": "spy", "of": ARG}: a stand-in for the object that passes every
  attribute read and write on to it and logs each call of one of its methods made
  through it. A later call takes the stand-in as {"ref": id, "path": ["return"]}
  and a read of {"ref": id, "path": ["log"]} sends the log, one entry
  [name, [positional arguments], {keyword arguments}, returned] per call, in
  order (arrays copied when the call returned);
- {"id", "kind": "net", "cls", "init": {name: ARG}, "params": {name: ARG}, "steps": [[X, y]],
  "numeric": null or {"X", "y", "h", "entries": {name: [flat index]}}}: model = cls(**init), then
  model.params[name] = value for each given parameter, then model.loss(X), or
  model.loss(X, y), for each step. Sends {"params": model.params right after
  construction, "steps": what each loss call returned, "bn_params":
  model.bn_params after each step, "numeric": {name: (plus, minus)}}, where plus[k]
  and minus[k] hold model.loss(X, y)[0] with the parameter's entry entries[name][k]
  (in C order) moved by +h and by -h: from them the harness takes numeric gradients.

An ARG is a JSON null, boolean, number or string, or
- {"array": key}, optionally with "fortran": true (a copy in Fortran order),
  "transpose": [axes] and "step": [steps] (the view x.transpose(axes)[::s0, ::s1, ...]):
  a fresh copy of an input array; a watched array argument reports that whole copy;
- {"dict": {name: ARG}}, optionally with "extends": REF (a new dict that starts
  from the entries of the dict REF names); {"list": [ARG]}; {"dtype": name};
- {"global": name}: the live value of a name the program defines;
- {"numpy": name}: the numpy function of that dotted name, e.g. "random.randn"
  (for arguments that must be callables, such as an initializer);
- {"import": name}: the object of that dotted name, whose first part is a module
  the driver imports then and each later part an attribute: "torch.float64",
  "torch.no_grad", "builtins.dict" (e.g. dict(module.named_parameters()) sends the names);
- {"tensor": key}, optionally with "dtype": name (a torch dtype, e.g. "float64")
  and "requires_grad": bool: a PyTorch tensor made from a copy of the input array.
  torch is imported only when a request has such an argument;
- a REF, {"ref": id, "path": ["args", i] or ["return", ...] or ["log", ...]}: the
  live object an earlier call received or returned (or a spy's log); each later
  item of the path is an index, a key, or {"attr": name} for an attribute. A call
  that needs a failed call fails.

The driver writes results.json, {"protocol": 1, "program": [{"cell", "error"}],
"calls": {id: {"ok": true, "value": VALUE, "watched": {"i": VALUE}} or
{"ok": false, "error": "Type: message"}}}, and outputs.npz, the arrays the VALUEs
name. A VALUE is a JSON null, boolean, integer, finite number or string, or
{"float": "nan" | "inf" | "-inf"}, {"array": key}, {"scalar": key} (a numpy
scalar, saved as a 0-d array), {"tuple": [VALUE]}, {"list": [VALUE]},
{"dict": {name: VALUE}}, or {"object": type name} for anything else. A PyTorch
tensor is sent as the array of its values (detached, on the CPU). A request
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
    "read": {"id", "kind", "of"},
    "set": {"id", "kind", "of", "attr", "value"},
    "spy": {"id", "kind", "of"},
}
ROOTS = ("args", "return", "log")  # where a REF's path starts


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
        _require(isinstance(call["fn"], str) or _is_ref(call["fn"]) or _is_import(call["fn"]),
                 f"{where}: fn must be a name, a REF or an import")
        _require(isinstance(call["args"], list) and isinstance(call["kwargs"], dict), f"{where}: args, kwargs")
        args = call["args"] + list(call["kwargs"].values())
        if isinstance(call["fn"], dict):
            args.append(call["fn"])
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
        _require(numeric is None or (isinstance(numeric, dict) and set(numeric) == {"X", "y", "h", "entries"}
                                     and _is_number(numeric["h"]) and _is_index_table(numeric["entries"])),
                 f"{where}: bad numeric")
        args = (list(call["init"].values()) + list(call["params"].values())
                + [arg for step in call["steps"] for arg in step]
                + ([numeric["X"], numeric["y"]] if numeric else []))
    if call["kind"] in ("read", "spy"):
        args = [call["of"]]
    if call["kind"] == "set":
        _require(_is_ref(call["of"]) and isinstance(call["attr"], str), f"{where}: set needs a REF and a name")
        args = [call["of"], call["value"]]
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
    elif "tensor" in arg:
        _require(set(arg) <= {"tensor", "dtype", "requires_grad"} and arg["tensor"] in arrays
                 and isinstance(arg.get("dtype", ""), str) and arg.get("requires_grad", False) in (True, False),
                 f"{where}: bad tensor argument {arg}")
    elif "dtype" in arg:
        _require(set(arg) == {"dtype"} and isinstance(arg["dtype"], str), f"{where}: bad dtype")
    elif "global" in arg or "numpy" in arg or "import" in arg:
        _require(len(arg) == 1 and isinstance(next(iter(arg.values())), str), f"{where}: bad name {arg}")
    else:
        _require(_is_ref(arg) and arg["ref"] in earlier, f"{where}: bad argument {arg}")


def _is_ref(arg):
    """Whether arg is a REF in form (its call is not looked up)."""
    return (isinstance(arg, dict) and set(arg) == {"ref", "path"} and isinstance(arg["ref"], str)
            and isinstance(arg["path"], list) and len(arg["path"]) >= 1 and arg["path"][0] in ROOTS
            and all(type(p) in (int, str) or (isinstance(p, dict) and set(p) == {"attr"} and isinstance(p["attr"], str))
                    for p in arg["path"][1:]))


def _is_import(arg):
    return isinstance(arg, dict) and set(arg) == {"import"} and isinstance(arg["import"], str)


def _is_number(value):
    return type(value) in (int, float) and math.isfinite(value)


def _is_int_list(value):
    return isinstance(value, list) and all(type(n) is int for n in value)


def _is_index_table(value):
    """{name: [non-negative int]}, the entries a numeric gradient moves."""
    return isinstance(value, dict) and all(
        isinstance(name, str) and _is_int_list(indices) and all(i >= 0 for i in indices)
        for name, indices in value.items())


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
        value = _tensor_values(value)
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


def _tensor_values(value):
    """The array of a PyTorch tensor's values (detached, on the CPU); any other value as it is."""
    torch = sys.modules.get("torch")  # only loaded when the program or the request uses it
    if torch is not None and isinstance(value, torch.Tensor):
        try:
            return value.detach().cpu().numpy()
        except (TypeError, RuntimeError):  # a dtype numpy lacks (bfloat16), a tensor without storage
            return value
    return value


class Spy:
    """A stand-in for an object: attribute reads and writes reach the object; its method calls are logged."""

    def __init__(self, target, log):
        object.__setattr__(self, "_spy_target", target)
        object.__setattr__(self, "_spy_log", log)

    def __getattr__(self, name):
        value = getattr(self._spy_target, name)
        if not (hasattr(value, "__self__") and hasattr(value, "__func__")):  # not a bound method
            return value

        def logged(*args, **kwargs):
            result = value(*args, **kwargs)
            self._spy_log.append([name, [_copied(arg) for arg in args],
                                  {key: _copied(arg) for key, arg in kwargs.items()}, _copied(result)])
            return result
        return logged

    def __setattr__(self, name, value):
        setattr(self._spy_target, name, value)


def _copied(value):
    """A copy of an array (or a tensor's values), so that a log keeps what a call saw; anything else as it is."""
    value = _tensor_values(value)
    return np.array(value) if isinstance(value, np.ndarray) else value


class Session:
    """The calls of one request, with the live objects later calls refer to."""

    def __init__(self, arrays, namespace, program_errors):
        self.arrays = arrays
        self.namespace = namespace
        self.program_errors = program_errors
        self.outputs = Outputs()
        # call id -> {"args": [...], "return": value} (and "log" for a spy), or the error message of a failed call
        self.live = {}
        self.too_slow = {}  # function name -> the call in which it ran out of time: it is not called again
        self.running = None  # the name of the function the current call runs

    def run(self, call, seconds):
        """Perform one call within its time; return its result entry."""
        runner = {"call": self.run_call, "map": self.run_map, "net": self.run_net, "read": self.run_read,
                  "set": self.run_set, "spy": self.run_spy}[call["kind"]]
        self.running = None
        try:
            with time_limit(seconds):
                result, self.live[call["id"]] = runner(call)
        except BaseException as error:  # whatever the student's code raises is this call's outcome
            if isinstance(error, Timeout) and self.running is not None:
                self.too_slow[self.running] = call["id"]
            self.live[call["id"]] = describe(error)
            return {"ok": False, "error": describe(error)}
        return result

    def run_call(self, call):
        fn = self.callable(call["fn"])
        args, watched = self.positional(call["args"])
        value = fn(*args, **self.keywords(call["kwargs"]))
        result = {"ok": True, "watched": {str(i): self.outputs.encode(watched[i]) for i in call["watch"]}}
        if call["send"]:
            result["value"] = self.outputs.encode(value)
        return result, {"args": args, "return": value}

    def run_map(self, call):
        fn = self.callable(call["fn"])
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
        model = self.callable(call["cls"])(**self.keywords(call["init"]))
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
            losses = perturbed_losses(model, self.build(numeric["X"]), self.build(numeric["y"]), numeric["h"],
                                      numeric["entries"])
            sent["numeric"] = self.outputs.encode(losses)
        return {"ok": True, "value": {"dict": sent}}, {"args": [], "return": model}

    def run_read(self, call):
        return {"ok": True, "value": self.outputs.encode(self.build(call["of"]))}, {"args": [], "return": None}

    def run_set(self, call):
        setattr(self.resolve(call["of"]), call["attr"], self.build(call["value"]))
        return {"ok": True}, {"args": [], "return": None}

    def run_spy(self, call):
        log = []
        return {"ok": True}, {"args": [], "return": Spy(self.build(call["of"]), log), "log": log}

    def callable(self, spec):
        """The function a call names (a name the program defines, a REF or an import); it becomes self.running."""
        value = self.build(spec) if isinstance(spec, dict) else self.defined(spec)
        name = getattr(value, "__qualname__", None)
        name = name if isinstance(name, str) else type(value).__name__
        if name in self.too_slow:
            raise Timeout(f"not called again after it ran out of time in call {self.too_slow[name]}")
        if not callable(value):
            raise TypeError(f"{name} is not callable")
        self.running = name
        return value

    def defined(self, name):
        """The value of a name the program defines."""
        if name in self.namespace:
            return self.namespace[name]
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
        if "tensor" in arg:
            return _tensor(self.arrays[arg["tensor"]], arg.get("dtype"), arg.get("requires_grad", False))
        if "dtype" in arg:
            return np.dtype(arg["dtype"])
        if "global" in arg:
            return self.defined(arg["global"])
        if "numpy" in arg:
            return _numpy_function(arg["numpy"])
        if "import" in arg:
            return _imported(arg["import"])
        return self.resolve(arg)

    def resolve(self, ref):
        target = self.live[ref["ref"]]
        if isinstance(target, str):
            raise DependencyFailed(f"it needs call {ref['ref']}, which failed: {target}")
        try:
            value = target[ref["path"][0]]
            for item in ref["path"][1:]:
                value = getattr(value, item["attr"]) if isinstance(item, dict) else value[item]
        except Exception as error:  # a missing attribute, index or key, or a property that raises
            raise DependencyFailed(f"call {ref['ref']} has no {ref['path']}: {describe(error)}") from None
        return value


def _numpy_function(name):
    """The numpy function of a dotted name, e.g. 'random.randn'."""
    value = np
    for part in name.split("."):
        value = getattr(value, part, None)
    if not callable(value):
        raise NameError(f"numpy has no function {name}")
    return value


def _imported(name):
    """The object of a dotted name whose first part is a module, e.g. 'torch.nn.Linear' or 'builtins.dict'."""
    module, *attributes = name.split(".")
    value = __import__(module)  # here, not at the top: only requests that name a module need it
    for attribute in attributes:
        value = getattr(value, attribute)
    return value


def _tensor(array, dtype, requires_grad):
    """A PyTorch tensor holding a copy of array, of the torch dtype named (or the array's), requiring grad or not."""
    torch = __import__("torch")  # here, not at the top: only requests with tensors need PyTorch
    if dtype is not None and not isinstance(getattr(torch, dtype, None), torch.dtype):
        raise TypeError(f"torch has no dtype {dtype}")
    value = torch.tensor(array, dtype=None if dtype is None else getattr(torch, dtype))
    return value.requires_grad_(requires_grad)


def view(array, arg):
    """The view of an input array an ARG asks for (transposed, then strided)."""
    if "transpose" in arg:
        array = array.transpose(arg["transpose"])
    if "step" in arg:
        array = array[tuple(slice(None, None, step) for step in arg["step"])]
    return array


def perturbed_losses(model, X, y, h, entries):
    """
    {name: (plus, minus)}: model.loss(X, y)[0] with each listed entry of the parameter moved by +h and by -h.

    entries: {name: [flat index]}; plus and minus have one value per listed index.
    A name the model has no parameter for, or an index past its size, raises KeyError or IndexError.
    """
    losses = {}
    for name, indices in sorted(entries.items()):
        param = model.params[name]
        plus, minus = np.empty(len(indices)), np.empty(len(indices))
        for k, flat in enumerate(indices):
            index = np.unravel_index(flat, param.shape)
            saved = param[index]
            param[index] = saved + h
            plus[k] = model.loss(X, y)[0]
            param[index] = saved - h
            minus[k] = model.loss(X, y)[0]
            param[index] = saved
        losses[name] = (plus, minus)
    return losses


if __name__ == "__main__":
    sys.exit(main(sys.argv))
