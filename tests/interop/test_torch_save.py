"""save_torch: files PyTorch's safe loader reads back exactly; refusals leave old files."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from tinygrad_cnn.interop import InteropError, load_torch, save_torch


def _arrays():
    rng = np.random.default_rng(0)
    return OrderedDict([
        ("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
        ("t", np.arange(12, dtype=np.float32).reshape(3, 4).T),   # not contiguous
        ("f64", rng.standard_normal(5)), ("f16", np.array([1.5, -2], np.float16)),
        ("count", np.array(9, np.int64)), ("i32", np.array([3, -4], np.int32)),
        ("i16", np.array([5], np.int16)), ("i8", np.array([-6], np.int8)),
        ("u8", np.array([250], np.uint8)), ("mask", np.array([True, False])),
        ("empty", np.zeros((0, 2), np.float32)), ("big", np.array([2 ** 40], np.int64)),
    ])


def test_torch_weights_only_load_reads_it_exactly(torch, tmp_path):
    state = _arrays()
    save_torch(state, tmp_path / "w.pt")
    got = torch.load(tmp_path / "w.pt", weights_only=True)
    assert list(got) == list(state)
    for name, arr in state.items():
        assert tuple(got[name].shape) == arr.shape, name
        np.testing.assert_array_equal(got[name].numpy(), arr, err_msg=name)
        assert got[name].numpy().dtype == arr.dtype, name


def test_our_reader_reads_it_back(tmp_path):
    state = _arrays()
    save_torch(state, tmp_path / "w.pt")
    got = load_torch(tmp_path / "w.pt")
    for name, arr in state.items():
        np.testing.assert_array_equal(got[name], arr)
        assert got[name].dtype == arr.dtype


def test_mmap_load(torch, tmp_path):
    """Storages are 64-byte aligned, as torch's memory-mapped loading needs."""
    save_torch({"w": np.ones((3, 5), np.float32)}, tmp_path / "w.pt")
    got = torch.load(tmp_path / "w.pt", weights_only=True, mmap=True)
    assert got["w"].sum().item() == 15


def test_refused_dtype_keeps_the_old_file(tmp_path):
    path = tmp_path / "w.pt"
    save_torch({"w": np.ones(2, np.float32)}, path)
    before = path.read_bytes()
    with pytest.raises(InteropError, match="complex128"):
        save_torch({"z": np.ones(2, np.complex128)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.pt"]
