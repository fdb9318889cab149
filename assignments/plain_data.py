"""Plain data: what an observed call of a student's code may hand to the checks that judge it.

A graded cell observes the student's code with `assignments.grading.observe`;
what the call returns is passed through `encode` and `decode` before any check
sees it, in the student's kernel and outside it alike, so both see the same
values of the same types. Plain data is

- None, bool, int, float, complex, str, bytes;
- numpy arrays of a numeric, boolean or string dtype (a subclass comes back as
  a plain ndarray) and numpy scalars;
- PyTorch tensors (their values, dtype and shape; not their graph or .grad);
- tuples, lists and dicts (str, int or float keys) of plain data, at most
  MAX_DEPTH deep.

Anything else (an object of the student's class, a generator, a function)
comes back as an `Unobservable`, which fails every check that uses it with a
message saying what to return instead. `encode` never runs the value's own
code beyond reading arrays, so a value that lies about itself (an `__eq__`
that is always true, an ndarray subclass) arrives as the plain data it holds.

The encoding is JSON (arrays as their dtype's name, their shape and base64 of
their bytes, rebuilt only for dtypes of numbers, booleans, times and strings):
the trusted side can read what a sandboxed process sends without running
anything of it.
"""
import base64
import json
import math
import re
import sys

import numpy as np

MAX_DEPTH = 30
MAX_BYTES = 256 << 20  # one encoded value; larger ones become Unobservable
# numpy's dtype.str of the arrays plain data holds: byte order, kind (no objects, no structures), item size
_ARRAY_DTYPE = re.compile(r"[<>|][biufcmMSU][0-9]+(\[[0-9]*[a-zA-Z]+\])?")


class Unobservable:
    """Stands in for a value that is not plain data; every use of it raises TypeError saying why."""

    def __init__(self, type_name, reason="is not plain data"):
        object.__setattr__(self, "_text", f"an object of type {type_name}, which {reason}: the checks can only "
                                          f"use arrays, numbers, strings, and lists, tuples and dicts of these")

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"your code returned {self._text}")

    __array__ = __bool__ = __float__ = __int__ = __index__ = __len__ = __iter__ = _refuse
    __getitem__ = __call__ = __add__ = __sub__ = __mul__ = __truediv__ = __neg__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __setattr__ = _refuse

    def __getattr__(self, name):
        self._refuse()

    def __eq__(self, other):
        self._refuse()

    __hash__ = None

    def __repr__(self):
        return f"<unobservable: {self._text}>"


def encode(value):
    """
    The JSON text of value as plain data (see the module docstring).

    Parts that are not plain data are encoded as unobservable; never raises for
    the value's sake. A whole encoding over MAX_BYTES is one unobservable.
    """
    text = json.dumps(_encode(value, 0), allow_nan=False, separators=(",", ":"))
    if len(text) > MAX_BYTES:
        return json.dumps({"unobservable": type(value).__name__, "reason": "is too large to send"})
    return text


def decode(text):
    """The value encode(value) describes: arrays, tensors, containers and Unobservable rebuilt."""
    return _decode(json.loads(text))


def round_trip(value):
    """decode(encode(value)): what the checks see of value, in the kernel as outside it."""
    return decode(encode(value))


def _encode(value, depth):
    if depth > MAX_DEPTH:
        return _unobservable(value, "is nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value if kind is not int or abs(value) < 1 << 53 else {"int": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if kind is complex:
        return {"complex": [_encode(value.real, depth), _encode(value.imag, depth)]}
    if kind is bytes:
        return {"bytes": base64.b64encode(value).decode()}
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return _encode_array(value)
    if kind in (tuple, list):
        return {kind.__name__: [_encode(item, depth + 1) for item in value]}
    if kind is dict:
        if not all(type(key) in (str, int, float) for key in value):
            return _unobservable(value, "has keys that are not strings or numbers")
        return {"dict": [[_encode(k, depth), _encode(v, depth + 1)] for k, v in value.items()]}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return _encode_tensor(value, torch)
    return _unobservable(value)


def _encode_array(value):
    scalar = isinstance(value, np.generic)
    try:
        array = np.array(value, copy=True, subok=False)
    except Exception:  # an array-like whose conversion fails
        return _unobservable(value)
    if array.dtype.hasobject or array.dtype.kind == "V":
        return _unobservable(value, "holds Python objects")
    return {"scalar" if scalar else "array": _array_payload(array)}


def _array_payload(array):
    """{"dtype", "shape", "data": base64 of the C-ordered bytes}: what .npy holds, without its header to parse."""
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()}


def _encode_tensor(value, torch):
    try:
        detached = value.detach().cpu()
        dtype = str(detached.dtype).removeprefix("torch.")
        if detached.dtype == torch.bfloat16:
            detached = detached.float()
        array = detached.contiguous().numpy().copy()
    except Exception:
        return _unobservable(value)
    return {"tensor": _array_payload(array), "dtype": dtype}


def _unobservable(value, reason="is not plain data"):
    return {"unobservable": type(value).__name__, "reason": reason}


def _decode(data):
    if not isinstance(data, dict):
        return data
    if "unobservable" in data:
        return Unobservable(str(data["unobservable"]), str(data.get("reason", "is not plain data")))
    if "tensor" in data:
        return _decode_tensor(data)
    if len(data) != 1:
        raise ValueError(f"malformed plain data: {sorted(data)}")
    ((key, payload),) = data.items()
    if key == "int":
        return int(payload)
    if key == "float":
        return float(payload)
    if key == "complex":
        return complex(*map(_decode, payload))
    if key == "bytes":
        return base64.b64decode(payload)
    if key in ("array", "scalar"):
        array = _array_of(payload)
        return array[()] if key == "scalar" else array
    if key in ("tuple", "list"):
        items = [_decode(item) for item in payload]
        return tuple(items) if key == "tuple" else items
    if key == "dict":
        return {_decode(k): _decode(v) for k, v in payload}
    raise ValueError(f"malformed plain data: unknown kind {key!r}")


def _array_of(payload):
    """The array an _array_payload describes; ValueError unless its dtype is one plain data holds."""
    dtype = payload["dtype"]
    if not isinstance(dtype, str) or not _ARRAY_DTYPE.fullmatch(dtype):
        raise ValueError(f"malformed plain data: array of dtype {dtype!r}")
    shape = tuple(payload["shape"])
    if not all(type(size) is int and size >= 0 for size in shape):
        raise ValueError(f"malformed plain data: array of shape {shape!r}")
    return np.frombuffer(bytearray(base64.b64decode(payload["data"])), dtype=np.dtype(dtype)).reshape(shape)


def _decode_tensor(data):
    import torch
    return torch.from_numpy(_array_of(data["tensor"])).to(getattr(torch, data["dtype"]))
