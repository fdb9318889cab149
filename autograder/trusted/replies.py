"""Reading what the driver wrote back, trusting none of it.

results.json and outputs.npz come from a process that ran the student's code, so
they may be anything: read_replies checks sizes before loading, loads arrays with
allow_pickle=False, parses strict JSON, and decodes every VALUE (driver.py's
docstring) against the format. Anything else raises DriverFailure, which costs
the submission every cell of the run.
"""
import dataclasses
import json
import zipfile

import numpy as np

from .driver import PROTOCOL, not_json
from .request import Outcome

MAX_BYTES = 256 * 2**20  # results.json, and outputs.npz's arrays unpacked


class DriverFailure(Exception):
    """The driver gave no usable answer (crash, time-out, malformed output); the message says which."""


@dataclasses.dataclass(frozen=True)
class Opaque:
    """A value the driver could not send as data (a function, an instance of a class, ...)."""
    type_name: str


def read_replies(folder, call_ids):
    """
    The outcome of every call of a run.

    Inputs:
    - folder: The request folder, holding the driver's results.json and outputs.npz
    - call_ids: The ids of the calls the request made

    Returns {call id: Outcome}; raises DriverFailure when the files are missing,
    too large or malformed, or do not answer exactly the calls made.
    """
    try:
        return _read(folder, call_ids)
    except DriverFailure:
        raise
    except Exception as error:  # whatever a tampered file makes the parsers raise, RecursionError included
        raise DriverFailure(f"the driver's output is unreadable: {type(error).__name__}: {error}") from None


def _read(folder, call_ids):
    results_path, outputs_path = folder / "results.json", folder / "outputs.npz"
    for path in (results_path, outputs_path):
        if not path.is_file():
            raise DriverFailure(f"the driver wrote no {path.name}")
    if results_path.stat().st_size > MAX_BYTES:
        raise DriverFailure("results.json is too large")
    results = json.loads(results_path.read_text(encoding="utf-8"), parse_constant=not_json)
    arrays = _load_arrays(outputs_path)
    _expect(isinstance(results, dict) and set(results) == {"protocol", "program", "calls"}
            and results["protocol"] == PROTOCOL, "results.json is not a protocol-1 answer")
    calls = results["calls"]
    _expect(isinstance(calls, dict) and set(calls) == set(call_ids), "results.json does not answer the calls made")
    decode = _Decoder(arrays)
    return {call_id: _outcome(calls[call_id], decode) for call_id in call_ids}


def _expect(condition, message):
    if not condition:
        raise DriverFailure(f"the driver's output is malformed: {message}")


def _load_arrays(path):
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_BYTES:
            raise ValueError("outputs.npz unpacks to too many bytes")
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _outcome(entry, decode):
    _expect(isinstance(entry, dict) and isinstance(entry.get("ok"), bool), f"bad call entry {str(entry)[:200]}")
    if not entry["ok"]:
        _expect(set(entry) == {"ok", "error"} and isinstance(entry["error"], str), "bad error entry")
        return Outcome(ok=False, error=entry["error"])
    watched = entry.get("watched", {})
    _expect(set(entry) <= {"ok", "value", "watched"} and isinstance(watched, dict)
            and all(key.isdigit() for key in watched), "bad result entry")
    return Outcome(ok=True, value=decode(entry.get("value")),
                   watched={int(key): decode(value) for key, value in watched.items()})


class _Decoder:
    """VALUE (driver.py) -> Python: arrays from outputs.npz, tuples, lists, dicts, Opaque."""

    def __init__(self, arrays):
        self.arrays = arrays

    def __call__(self, value):
        if value is None or type(value) in (bool, int, float, str):  # JSON floats are finite: constants are refused
            return value
        _expect(isinstance(value, dict) and len(value) == 1, f"bad value {str(value)[:200]}")
        (tag, content), = value.items()
        if tag in ("array", "scalar"):
            _expect(content in self.arrays, f"no array {content!r} in outputs.npz")
            return self.arrays[content] if tag == "array" else self.arrays[content][()]
        if tag == "float":
            _expect(content in ("nan", "inf", "-inf"), f"bad float {content!r}")
            return float(content)
        if tag in ("tuple", "list"):
            _expect(isinstance(content, list), f"bad {tag}")
            items = [self(item) for item in content]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            _expect(isinstance(content, dict), "bad dict")
            return {key: self(item) for key, item in content.items()}
        _expect(tag == "object" and isinstance(content, str), f"unknown tag {tag!r}")
        return Opaque(content)
