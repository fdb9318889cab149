"""The harness's half of a driver run: the calls to make, the arrays they take, and their outcomes.

Checks register calls in a Request while they are built and get a Pending for
each; the Request is written as calls.json and inputs.npz (the format is in
driver.py's docstring), the driver runs every call in one process, and
`resolve` hands each Pending its outcome, which the checks read when they verify.
"""
import dataclasses
import json
import math

import numpy as np

from .driver import PROTOCOL


@dataclasses.dataclass(frozen=True)
class View:
    """An array argument passed as a view: a Fortran-order copy of base, then transposed, then strided."""
    base: np.ndarray
    fortran: bool = False
    transpose: tuple = None
    step: tuple = None

    @property
    def value(self):
        """The array the student's function receives, as the driver builds it."""
        array = np.asfortranarray(self.base) if self.fortran else self.base
        if self.transpose:
            array = array.transpose(self.transpose)
        if self.step:
            array = array[tuple(slice(None, None, step) for step in self.step)]
        return array


@dataclasses.dataclass(frozen=True)
class Attr:
    """An item of a Ref's path: the attribute of that name."""
    name: str


@dataclasses.dataclass(frozen=True)
class Ref:
    """
    The live object an earlier call received (path ("args", i)) or returned (("return", ...)),
    or a spy's log (("log",)); the items after the first are indexes, keys or Attrs.
    """
    call: str
    path: tuple

    def attr(self, name):
        """A reference to the attribute `name` of the object this one refers to."""
        return Ref(self.call, (*self.path, Attr(name)))

    def item(self, index):
        """A reference to the item `index` (an index or a key) of the object this one refers to."""
        return Ref(self.call, (*self.path, index))


@dataclasses.dataclass(frozen=True)
class Global:
    """A name the student's program defines (a variable, a function, a class), as its live value."""
    name: str


@dataclasses.dataclass(frozen=True)
class NumpyFunction:
    """A numpy function given by its dotted name, e.g. "random.randn", for arguments that must be callables."""
    name: str


@dataclasses.dataclass(frozen=True)
class Imported:
    """An object of a library by its dotted name, whose first part is a module the driver imports:
    "torch.float64", "torch.no_grad", "builtins.dict"; a call's fn may be one."""
    name: str


@dataclasses.dataclass(frozen=True)
class Tensor:
    """A PyTorch tensor the driver makes from a copy of array: of the torch dtype named (or the array's)."""
    array: np.ndarray
    dtype: str = None
    requires_grad: bool = False


@dataclasses.dataclass(frozen=True)
class Extended:
    """A new dict holding the entries of the dict `base` refers to, updated with `entries`."""
    base: Ref
    entries: dict


class CallFailed(AssertionError):
    """A check read the outcome of a call that raised (or never ran, or sent nothing)."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What the driver reported for one call: a decoded value and watched arguments, or an error."""
    ok: bool
    value: object = None
    watched: dict = dataclasses.field(default_factory=dict)
    error: str = ""


class Pending:
    """One call's outcome, readable once the driver has run."""

    def __init__(self, call_id, label):
        self.id = call_id
        self.label = label
        self.outcome = None

    def returned(self, *path):
        """A reference, for a later call, to what this call returned (or a part of it)."""
        return Ref(self.id, ("return", *path))

    def arg(self, index):
        """A reference, for a later call, to the object this call received as positional argument index."""
        return Ref(self.id, ("args", index))

    @property
    def log(self):
        """A reference to the log of a spy call: its entries [name, args, kwargs, returned]."""
        return Ref(self.id, ("log",))

    @property
    def value(self):
        """What the call returned, decoded; raises CallFailed when it raised."""
        return self._succeeded().value

    def after(self, index):
        """The watched positional argument index as it was after the call."""
        return self._succeeded().watched[index]

    def _succeeded(self):
        if self.outcome is None:
            raise CallFailed(f"{self.label} was not run")
        if not self.outcome.ok:
            raise CallFailed(f"{self.label} raised {self.outcome.error}")
        return self.outcome


class Request:
    """The calls of one driver run and the input arrays they take."""

    def __init__(self):
        self.calls = []
        self.arrays = {}
        self.pending = []

    def call(self, fn, *args, kwargs=None, send=True, watch=()):
        """
        fn(*args, **kwargs) in the sandbox; watch lists positional arguments to report after the call.
        fn is a name the program defines (a class: the call constructs an object), a Ref to a callable,
        such as obj.returned().attr("forward") for a method of an object an earlier call made, or an Imported.
        """
        label = fn if isinstance(fn, str) else _label(fn)
        return self._add(label, {"kind": "call", "fn": self._encode(fn), "args": [self._encode(arg) for arg in args],
                                 "kwargs": self._encode(kwargs or {})["dict"], "send": send, "watch": list(watch)})

    def read(self, of):
        """The value of `of` (a Ref, e.g. to an attribute, or a Global) as it is when this call runs."""
        return self._add(f"reading {_label(of)}", {"kind": "read", "of": self._encode(of)})

    def set(self, of, attr, value):
        """setattr(object of the Ref `of`, attr, value) in the sandbox."""
        return self._add(f"setting {_label(of)}.{attr}",
                         {"kind": "set", "of": self._encode(of), "attr": attr, "value": self._encode(value)})

    def spy(self, of):
        """A stand-in for the object `of` refers to that logs its method calls: pass returned() on, read log."""
        return self._add(f"a spy on {_label(of)}", {"kind": "spy", "of": self._encode(of)})

    def map(self, fn, *args, over, stack, pick=(0,), kwargs=None):
        """fn called with each item of stack as argument `over`; the value is the stack of returned[pick]."""
        args = [None if i == over else arg for i, arg in enumerate(args)]
        return self._add(fn, {"kind": "map", "fn": fn, "args": [self._encode(arg) for arg in args],
                              "kwargs": self._encode(kwargs or {})["dict"], "over": over,
                              "stack": self._array(stack), "pick": list(pick)})

    def net(self, cls, init, *, params, steps=(), numeric=None):
        """A network cls(**init) with the given parameters, its loss at each (X, y) step, and numeric
        = (X, y, h, {name: [flat index]}) for the losses with each listed parameter entry moved by +-h
        (see driver.py)."""
        spec = {"kind": "net", "cls": cls, "init": self._encode(init)["dict"],
                "params": self._encode(params)["dict"], "steps": [[self._encode(X), self._encode(y)] for X, y in steps],
                "numeric": None}
        if numeric:
            X, y, h, entries = numeric
            spec["numeric"] = {"X": self._encode(X), "y": self._encode(y), "h": h,
                               "entries": {name: [int(i) for i in indices] for name, indices in entries.items()}}
        return self._add(cls, spec)

    def write(self, folder, *, cells, seconds):
        """Save calls.json and inputs.npz in folder; cells is program.py's table of cells."""
        request = {"protocol": PROTOCOL, "seconds": seconds, "cells": cells, "calls": self.calls}
        (folder / "calls.json").write_text(json.dumps(request, allow_nan=False), encoding="utf-8")
        np.savez(folder / "inputs.npz", **self.arrays)

    def resolve(self, outcomes):
        """Give each Pending its Outcome from {call id: Outcome}."""
        for pending in self.pending:
            pending.outcome = outcomes[pending.id]

    @property
    def call_ids(self):
        return [pending.id for pending in self.pending]

    def _add(self, label, spec):
        pending = Pending(f"c{len(self.calls)}", label)
        self.calls.append({"id": pending.id, **spec})
        self.pending.append(pending)
        return pending

    def _array(self, array):
        key = f"i{len(self.arrays)}"
        self.arrays[key] = np.array(array)
        return key

    def _encode(self, value):
        """The ARG (driver.py) for a value, as it is now."""
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float and math.isfinite(value):
            return value
        if isinstance(value, np.ndarray):
            return {"array": self._array(value)}
        if isinstance(value, View):
            arg = {"array": self._array(value.base), "fortran": value.fortran}
            arg.update({key: list(getattr(value, key)) for key in ("transpose", "step") if getattr(value, key)})
            return arg
        if isinstance(value, dict):
            return {"dict": {str(key): self._encode(item) for key, item in value.items()}}
        if isinstance(value, Extended):
            return {**self._encode(value.entries), "extends": self._encode(value.base)}
        if isinstance(value, (list, tuple)):
            return {"list": [self._encode(item) for item in value]}
        if isinstance(value, Ref):
            return {"ref": value.call, "path": [{"attr": item.name} if isinstance(item, Attr) else item
                                                for item in value.path]}
        if isinstance(value, Global):
            return {"global": value.name}
        if isinstance(value, NumpyFunction):
            return {"numpy": value.name}
        if isinstance(value, Imported):
            return {"import": value.name}
        if isinstance(value, Tensor):
            arg = {"tensor": self._array(value.array), "requires_grad": value.requires_grad}
            return arg if value.dtype is None else {**arg, "dtype": value.dtype}
        if isinstance(value, (type, np.dtype)):
            return {"dtype": np.dtype(value).name}
        raise TypeError(f"cannot send {type(value).__name__} to the driver")


def _label(value):
    """How messages name what a Ref, a Global or an Imported reaches: its attributes and keys, or its name."""
    if isinstance(value, (Global, Imported)):
        return value.name
    if isinstance(value, Ref):
        names = [item.name if isinstance(item, Attr) else f"[{item!r}]" for item in value.path[1:]]
        return ".".join(names).replace(".[", "[") or f"what call {value.call} {value.path[0]}"
    return str(value)
