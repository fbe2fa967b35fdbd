"""The JSON-with-arrays encoding of optimizer state, scheduler state and metadata: unit
cases, and a hypothesis round trip of random trees through real checkpoint files."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygrad_cnn.checkpoint.layout import ARRAY_MARKER, array_refs, decode_tree, encode_tree


def test_encode_moves_arrays_out_and_names_them_by_path():
    arrays: dict[str, np.ndarray] = {}
    tree = {"state": {0: {"step": np.int64(3), "exp_avg": np.ones(2, np.float32)}},
            "betas": (0.9, 0.999)}
    encoded = encode_tree(tree, arrays, "optimizer")
    assert encoded == {"state": {"0": {"step": 3, "exp_avg": {ARRAY_MARKER: "state.0.exp_avg"}}},
                       "betas": [0.9, 0.999]}
    assert list(arrays) == ["state.0.exp_avg"] and arrays["state.0.exp_avg"].dtype == np.float32
    assert array_refs(encoded, "optimizer") == [("state.0.exp_avg", "optimizer.state.0.exp_avg")]
    decoded = decode_tree(encoded, lambda name, where: arrays[name], "optimizer")
    assert decoded["state"]["0"]["exp_avg"] is arrays["state.0.exp_avg"]


def test_array_names_that_are_not_valid_hdf5_names():
    arrays: dict[str, np.ndarray] = {}
    encode_tree({"a/b": np.zeros(1), "c": [np.zeros(1)], "": np.ones(1), "\x00": np.ones(1),
                 "\ud800": np.ones(1), ".": np.ones(1)}, arrays, "metadata")
    assert len(arrays) == 6 and "c.0" in arrays
    assert all(name.isascii() and name.isprintable() and "/" not in name and name != "."
               for name in arrays)


def test_zero_d_arrays_stay_zero_d():
    arrays: dict[str, np.ndarray] = {}
    encode_tree({"x": np.array(5, np.int64)}, arrays, "m")
    assert arrays["x"].shape == ()


@pytest.mark.parametrize("value, message", [
    ({"s": {1, 2}}, r"m\.s: cannot store a set"),
    ({"b": b"raw"}, r"m\.b: cannot store a bytes"),
    ({"o": np.array([object()])}, "dtype object"),
    ({(1, 2): 3}, "dict key"),
    ({True: 1}, "dict key True is a bool"),
])
def test_unstorable_values(value, message):
    with pytest.raises(CheckpointError, match=message):
        encode_tree(value, {}, "m")


def test_malformed_marker():
    with pytest.raises(CheckpointError, match="malformed array reference"):
        decode_tree({"x": {ARRAY_MARKER: "a", "extra": 1}}, lambda n, w: np.zeros(1), "m")


ARRAY_DTYPES = st.sampled_from([np.bool_, np.int8, np.uint32, np.int64, np.float16,
                                np.float32, np.float64])
ARRAYS = ARRAY_DTYPES.flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
SCALARS = (st.none() | st.booleans() | st.integers(-2 ** 130, 2 ** 130)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8))
KEYS = st.text(max_size=6).filter(lambda k: k != ARRAY_MARKER)
TREES = st.recursive(SCALARS | ARRAYS, lambda children: st.lists(children, max_size=3)
                     | st.dictionaries(KEYS, children, max_size=3), max_leaves=12)


def assert_tree_equal(got, want):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want)
        for key in want:
            assert_tree_equal(got[key], want[key])
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_equal(g, w)
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == want and type(got) is type(want)


@settings(deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=4))
def test_random_metadata_round_trips_through_a_file(metadata):
    model = nn.Sequential(nn.Flatten())
    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(Path(folder) / "m.h5", model, metadata=metadata)
        assert_tree_equal(load_checkpoint(path).metadata, metadata)
