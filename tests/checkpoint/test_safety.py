"""Hostile and broken files, crafted with h5py: every one is refused with a one-line
CheckpointError before any parameter data is read, by load_checkpoint and read_checkpoint."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import (CheckpointError, load_checkpoint, read_checkpoint,
                                     save_checkpoint)

from .ckpt_helpers import reseal

LOADERS = [pytest.param(load_checkpoint, id="load"), pytest.param(read_checkpoint, id="read")]


def model() -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 3))


def craft(folder: Path, edit: Callable[[h5py.File], None] | None, name: str = "m.h5") -> Path:
    """A valid checkpoint (with optimizer-like arrays in its metadata) edited by ``edit``."""
    path = save_checkpoint(folder / name, model(), metadata={"epoch": 1, "mean": np.zeros(2)})
    if edit is None:  # untouched, as save_checkpoint wrote it
        return path
    with h5py.File(path, "r+") as f:
        edit(f)
        reseal(f)
    return path


@pytest.fixture
def no_reads(monkeypatch):
    """Fail the test if any dataset under /parameters or /metadata/arrays is read."""
    real = h5py.Dataset.__getitem__
    reads = []

    def getitem(self, key):
        if self.name.startswith(("/parameters/", "/metadata/arrays/")):
            reads.append(self.name)
        return real(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", getitem)
    monkeypatch.setattr(h5py.Dataset, "read_direct", lambda *a, **k: reads.append("direct"))
    return reads


def refused(loader, path: Path, match: str) -> str:
    with pytest.raises(CheckpointError, match=match) as info:
        loader(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def replace(f: h5py.File, name: str, make: Callable[[h5py.Group, str], object]) -> None:
    group, _, leaf = name.rpartition("/")
    del f[name]
    make(f[group], leaf)


# ---- links and storage outside the file ----

@pytest.mark.parametrize("loader", LOADERS)
def test_soft_link_replacing_a_parameter(tmp_path, loader, no_reads):
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.__setitem__(n, h5py.SoftLink("/parameters/1.bias"))))
    refused(loader, path, r"/parameters/0\.bias is a soft link")
    assert no_reads == []


@pytest.mark.parametrize("loader", LOADERS)
def test_soft_link_anywhere(tmp_path, loader, no_reads):
    path = craft(tmp_path, lambda f: f["metadata"].__setitem__("x", h5py.SoftLink("/model")))
    refused(loader, path, "/metadata/x is a soft link")


@pytest.mark.parametrize("loader", LOADERS)
def test_external_link(tmp_path, loader, no_reads):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["w"] = np.zeros(2, np.float32)
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.__setitem__(n, h5py.ExternalLink(str(other), "/w"))))
    refused(loader, path, r"/parameters/0\.bias is an external link to another file")
    assert no_reads == []


@pytest.mark.parametrize("loader", LOADERS)
def test_external_storage_dataset(tmp_path, loader, no_reads):
    raw = tmp_path / "secret.bin"
    raw.write_bytes(np.arange(2, dtype=np.float32).tobytes())
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.create_dataset(
            n, shape=(2,), dtype=np.float32, external=[(str(raw), 0, 8)])))
    refused(loader, path, r"/parameters/0\.bias keeps its data in external raw files")
    assert no_reads == []


@pytest.mark.parametrize("loader", LOADERS)
def test_virtual_dataset(tmp_path, loader, no_reads):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["w"] = np.ones(2, np.float32)
    layout = h5py.VirtualLayout(shape=(2,), dtype=np.float32)
    layout[:] = h5py.VirtualSource(str(other), "w", shape=(2,))
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.create_virtual_dataset(n, layout)))
    refused(loader, path, r"/parameters/0\.bias is a virtual dataset")
    assert no_reads == []


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("edit, match", [
    (lambda f: f["model"].__setitem__("alias", f["parameters/0.weight"]), "reached before"),
    (lambda f: f["model"].__setitem__("loop", f["model"]), "reached before"),
    (lambda f: f.__setitem__("type", np.dtype("f4")), "is a named datatype"),
])
def test_hard_link_aliases_cycles_and_named_types(tmp_path, loader, edit, match):
    refused(loader, craft(tmp_path, edit), match)


# ---- declared sizes, layouts, dtypes ----

@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("where", ["parameters/0.weight", "metadata/arrays/mean"])
def test_huge_declared_shape_is_never_allocated(tmp_path, loader, where, no_reads):
    """4 TiB declared, nothing stored: refused from the metadata alone."""
    path = craft(tmp_path, lambda f: replace(
        f, where, lambda g, n: g.create_dataset(n, shape=(2 ** 40,), dtype=np.float32)))
    refused(loader, path, r"declares shape \(1099511627776,\) of float32 \(4398046511104 "
                          r"bytes\) but stores 0 bytes")
    assert no_reads == []


def test_wrong_shape_is_refused_before_reading(tmp_path, no_reads):
    """A fully stored dataset of another shape: the model comparison refuses it unread."""
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/3.weight", lambda g, n: g.create_dataset(
            n, data=np.zeros((3000, 2), np.float32))))
    refused(load_checkpoint, path, r"shape \(file vs model\) 3\.weight \(3000, 2\) vs \(3, 2\)")
    assert no_reads == []


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("kwargs, match", [
    ({"chunks": (1,)}, "is chunked"),
    ({"compression": "gzip"}, "is chunked"),  # compression implies chunks
])
def test_chunked_or_compressed(tmp_path, loader, kwargs, match):
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.create_dataset(
            n, data=np.zeros(2, np.float32), **kwargs)))
    refused(loader, path, match)


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("data, match", [
    (np.zeros(2, np.float16), r"'0\.bias' is stored as float16"),
    (np.zeros(2, [("a", "f4"), ("b", "i4")]), "has unsupported dtype"),
])
def test_parameter_dtypes(tmp_path, loader, data, match, no_reads):
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.create_dataset(n, data=data)))
    refused(loader, path, match)
    assert no_reads == []


def test_integer_in_place_of_float_parameter(tmp_path, no_reads):
    """With the model at hand the dtype must match its kind; without it (read_checkpoint)
    an integer array is returned as is, since it may be a counter."""
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/0.bias", lambda g, n: g.create_dataset(n, data=np.zeros(2, np.int32))))
    refused(load_checkpoint, path, r"'0\.bias' is stored as int32, expected float32/float64")
    assert no_reads == []
    assert read_checkpoint(path).state["0.bias"].dtype == np.int32


def test_counter_must_keep_its_integer_dtype(tmp_path):
    path = craft(tmp_path, lambda f: replace(
        f, "parameters/1.num_batches_tracked", lambda g, n: g.create_dataset(
            n, data=np.float32(1))))
    refused(load_checkpoint, path, r"'1\.num_batches_tracked' is stored as float32, expected "
                                   "int64")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("dtype", [h5py.string_dtype(), h5py.string_dtype(length=4)])
def test_string_array_dataset(tmp_path, loader, dtype):
    path = craft(tmp_path, lambda f: f["metadata"].create_dataset(
        "names", data=["a", "b"], dtype=dtype))
    refused(loader, path, r"/metadata/names is a string array of shape \(2,\)")


@pytest.mark.parametrize("loader", LOADERS)
def test_parameters_group_is_flat(tmp_path, loader):
    path = craft(tmp_path, lambda f: f["parameters"].create_group("sub"))
    refused(loader, path, "/parameters/sub is a group")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("ref", ["missing", "/parameters/0.weight", "."])
def test_array_marker_must_name_an_array_of_its_group(tmp_path, loader, ref):
    def edit(f):
        del f["metadata/json"]
        f["metadata/json"] = json.dumps({"x": {"__ndarray__": ref}})

    refused(loader, craft(tmp_path, edit), "metadata.x refers to array")


# ---- headers: not a checkpoint, newer, invalid ----

@pytest.mark.parametrize("loader", LOADERS)
def test_newer_format_version(tmp_path, loader):
    def edit(f):
        f.attrs["format_version"] = 3
        f.attrs["framework_version"] = "9.0"

    message = refused(loader, craft(tmp_path, edit),
                      r"was written by a newer tinygrad-cnn 9\.0 \(format 3 > 2\): upgrade")
    assert message.endswith("upgrade tinygrad-cnn to load it")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("value", ["1", 0, 1.0, np.array([1, 2])])
def test_invalid_format_version(tmp_path, loader, value):
    refused(loader, craft(tmp_path, lambda f: f.attrs.__setitem__("format_version", value)),
            "format_version")


@pytest.mark.parametrize("loader", LOADERS)
def test_keras_like_hdf5_file(tmp_path, loader):
    path = tmp_path / "keras.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.13.1"
        f.create_group("model_weights")
    refused(loader, path, "is an HDF5 file but not a tinygrad-cnn checkpoint "
                          r"\(it has no 'format' attribute\)")


@pytest.mark.parametrize("loader", LOADERS)
def test_other_format_name(tmp_path, loader):
    refused(loader, craft(tmp_path, lambda f: f.attrs.__setitem__("format", "other")),
            r"not a tinygrad-cnn checkpoint \(it has format 'other'\)")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("edit, match", [
    (lambda f: f.__delitem__("model/config"), "/model/config is missing"),
    (lambda f: f.__delitem__("parameters"), "/parameters group is missing"),
    (lambda f: replace(f, "model/config", lambda g, n: g.__setitem__(n, "{not json")),
     "not valid UTF-8 JSON"),
    (lambda f: replace(f, "model/config", lambda g, n: g.__setitem__(n, "[1, 2]")),
     "is not a layer configuration"),
    (lambda f: f.attrs.__delitem__("framework_version"), "framework_version attribute"),
])
def test_incomplete_files(tmp_path, loader, edit, match):
    refused(loader, craft(tmp_path, edit), match)


# ---- not HDF5, truncated, missing ----

@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("content", [b"", b"hello, world\n", b"PK\x03\x04" + bytes(100),
                                     b"\x89PNG\r\n\x1a\n" + bytes(64)])
def test_not_hdf5(tmp_path, loader, content):
    path = tmp_path / "m.h5"
    path.write_bytes(content)
    refused(loader, path, "is not an HDF5 file")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.95, 0.999])
def test_truncated(tmp_path, loader, fraction):
    data = craft(tmp_path, None, "good.h5").read_bytes()
    path = tmp_path / "m.h5"
    path.write_bytes(data[:int(len(data) * fraction)])
    refused(loader, path, r"is truncated or corrupt \(.*\): use an intact copy")


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.97])
def test_zeroed_tail(tmp_path, loader, fraction):
    """Same length, damaged bytes: HDF5's read errors become the one-line message."""
    data = craft(tmp_path, None, "good.h5").read_bytes()
    cut = int(len(data) * fraction)
    path = tmp_path / "m.h5"
    path.write_bytes(data[:cut] + bytes(len(data) - cut))
    refused(loader, path, "is truncated or corrupt")


def test_truncated_below_the_signature(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(craft(tmp_path, None, "good.h5").read_bytes()[:6])
    refused(load_checkpoint, path, "is not an HDF5 file")


@pytest.mark.parametrize("loader", LOADERS)
def test_missing_path_and_folder(tmp_path, loader):
    refused(loader, tmp_path / "nope.h5", "does not exist: check the path")
    refused(loader, tmp_path, "is a folder, not a checkpoint file")


def test_valid_file_passes_every_check(tmp_path, no_reads):
    """The crafted files above differ from a valid one only by their edit."""
    path = craft(tmp_path, lambda f: None)
    assert read_checkpoint(path).metadata["epoch"] == 1
    assert load_checkpoint(path).metadata["mean"].tolist() == [0.0, 0.0]
    assert no_reads  # the guard does see reads of a valid file
