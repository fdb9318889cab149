"""Plain data: what an observed call may hand to the checks, the same in the kernel and out of it."""
import json

import numpy as np
import pytest
import torch

from assignments.plain_data import Unobservable, decode, encode, round_trip


def test_numbers_strings_arrays_and_containers_come_back_equal_and_of_their_type():
    value = {"ints": (1, -2**70), "floats": [0.5, float("inf"), float("-inf")], "text": "é", "none": None,
             "flags": (True, False), "bytes": b"\x00\xff", "complex": 1 - 2j,
             "f32": np.arange(6, dtype=np.float32).reshape(2, 3), "scalar": np.float32(2.5), "strings": np.array(["a"]),
             7: "an int key", 1.5: "a float key"}
    back = round_trip(value)
    assert list(back) == list(value)
    for key in value:
        if isinstance(value[key], np.ndarray):
            assert back[key].dtype == value[key].dtype and np.array_equal(back[key], value[key])
        else:
            assert back[key] == value[key] and type(back[key]) is type(value[key])
    assert np.isnan(round_trip(float("nan")))


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def test_array_layout_and_subclasses_become_plain_c_arrays():
    base = np.arange(12.0).reshape(3, 4)
    back = round_trip([base.T, base[:, ::2], base.view(LyingArray)])
    assert all(type(a) is np.ndarray for a in back)
    np.testing.assert_array_equal(back[0], base.T)
    np.testing.assert_array_equal(back[1], base[:, ::2])
    assert not (back[2] == base + 1).any()


def test_tensors_keep_values_and_dtype_but_not_their_graph():
    tensor = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) * 3
    back = round_trip({"t": tensor, "half": torch.ones(2, dtype=torch.float16)})
    assert isinstance(back["t"], torch.Tensor) and back["t"].dtype == torch.float64 and not back["t"].requires_grad
    assert torch.equal(back["t"], torch.tensor([3.0, 6.0], dtype=torch.float64))
    assert back["half"].dtype == torch.float16


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        raise RuntimeError("never asked")


@pytest.mark.parametrize("value", [AlwaysEqual(), [AlwaysEqual()], {"k": (1, AlwaysEqual())}, np.array([object()]),
                                   (x for x in range(3)), print, {(1, 2): "a tuple key"}])
def test_anything_else_comes_back_unobservable_and_fails_every_use(value):
    back = round_trip(value)
    while not isinstance(back, Unobservable):
        back = next(iter(back.values())) if isinstance(back, dict) else back[-1]
    for use in (lambda u: u == 1, lambda u: np.asarray(u, dtype=float), lambda u: float(u), lambda u: u.shape,
                lambda u: bool(u), lambda u: u[0], lambda u: len(u)):
        with pytest.raises(TypeError, match="your code returned an object of type"):
            use(back)


def test_a_value_nested_too_deeply_is_unobservable():
    nested = []
    for _ in range(50):
        nested = [nested]
    back = round_trip(nested)
    while isinstance(back, list):
        back = back[0]
    assert isinstance(back, Unobservable) and "nested too deeply" in repr(back)


def test_the_encoding_is_json_that_never_holds_a_pickle():
    text = encode({"a": np.arange(3)})
    data = json.loads(text)
    assert set(data) == {"dict"}
    with pytest.raises(ValueError):
        decode(json.dumps({"pickle": "gASV"}))
    for payload in ({"dtype": "|O8", "shape": [1], "data": "AAAAAAAAAAA="},      # objects: pointers
                    {"dtype": "[('a', '<i4')]", "shape": [], "data": "AAAAAA=="},  # a structure
                    {"dtype": "<i4", "shape": [-1], "data": "AAAAAA=="}):
        with pytest.raises(ValueError):
            decode(json.dumps({"array": payload}))
