"""Checksums, non-finite weights, configuration bombs, version-1 files, stale temporary files,
the writer lock and reading during a save."""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import warnings

import h5py
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import (CheckpointError, load_checkpoint, read_checkpoint,
                                     save_checkpoint)
from tinygrad_cnn.checkpoint.integrity import CheckpointNote
from tinygrad_cnn.checkpoint.lock import output_lock

from .ckpt_helpers import reseal


def model() -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 3))


def data_offset(path, name: str) -> tuple[int, int]:
    with h5py.File(path, "r") as f:
        ds = f[name]
        return ds.id.get_offset(), ds.id.get_storage_size()


@pytest.mark.parametrize("name", ["parameters/0.weight", "parameters/3.bias",
                                  "metadata/arrays/mean", "metadata/json", "model/config"])
def test_a_flipped_data_byte_is_refused(tmp_path, name):
    path = save_checkpoint(tmp_path / "m.h5", model(),
                           metadata={"epoch": 1, "mean": np.arange(3.0)})
    offset, size = data_offset(path, name)
    raw = bytearray(path.read_bytes())
    raw[offset + size // 2] ^= 0x01  # the lowest bit: a number that is still finite
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)
    assert "SHA-256" in str(info.value) or "JSON" in str(info.value)


def test_version_1_file_loads_with_a_note(tmp_path):
    m = model()
    path = save_checkpoint(tmp_path / "m.h5", m)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 1
        f.visititems(lambda n, o: o.attrs.__delitem__("sha256")
                     if isinstance(o, h5py.Dataset) else None)
    with pytest.warns(CheckpointNote, match="format version 1, which has no checksums"):
        ckpt = load_checkpoint(path)
    assert ckpt.format_version == 1
    np.testing.assert_array_equal(ckpt.model.state_dict()["3.weight"], m.state_dict()["3.weight"])


def test_version_2_requires_checksums(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", model())
    with h5py.File(path, "r+") as f:
        del f["parameters/0.bias"].attrs["sha256"]
    with pytest.raises(CheckpointError, match="0.bias has no sha256 attribute"):
        load_checkpoint(path)


def test_non_finite_weights_are_refused_unless_allowed(tmp_path):
    m = model()
    m[3].weight.data[...] = np.nan  # noqa: the Parameter's numpy storage
    sd = m.state_dict()
    if np.isfinite(sd["3.weight"]).all():  # a device copy: set it through load_state_dict
        sd["3.weight"] = np.full_like(sd["3.weight"], np.nan)
        m.load_state_dict(sd)
    path = save_checkpoint(tmp_path / "m.h5", m)
    with pytest.raises(CheckpointError, match=r"parameter '3.weight' holds NaN or Inf"):
        load_checkpoint(path)
    assert np.isnan(load_checkpoint(path, allow_nonfinite=True).model.state_dict()["3.weight"]).all()


@pytest.mark.parametrize("layer", [
    {"type": "Conv2d", "args": {"in_channels": 12000, "out_channels": 12000, "kernel_size": 3}},
    {"type": "Linear", "args": {"in_features": 60000, "out_features": 60000}},
    {"type": "BatchNorm2d", "args": {"num_features": 10**10}},
    {"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 2, "kernel_size": 100000}},
    {"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 2, "kernel_size": 1,
                                "padding": 2**70}},
    {"type": "MaxPool2d", "args": {"kernel_size": 100000}},
])
def test_configuration_bombs_are_refused_before_building(tmp_path, layer, monkeypatch):
    from tinygrad_cnn import layers

    path = save_checkpoint(tmp_path / "m.h5", model())
    with h5py.File(path, "r+") as f:
        del f["model/config"]
        f["model/config"] = json.dumps({"type": "Sequential", "args": {}, "layers": [layer]})
        reseal(f)
    monkeypatch.setattr(layers, "from_config", lambda *a, **k: pytest.fail("model was built"))
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match="declares .* parameter elements but the file "
                                              "stores 38: .*refusing to build it|has (kernel_size"
                                              "|padding) .* beyond the sane bound of"):
        load_checkpoint(path)
    assert time.perf_counter() - started < 5


def test_reserved_child_name_and_deep_json(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", model())
    with h5py.File(path, "r+") as f:
        config = json.loads(f["model/config"][()])
        config["layers"][0]["name"] = "__class__"
        del f["model/config"]
        f["model/config"] = json.dumps(config)
        reseal(f)
    with pytest.raises(CheckpointError, match="'__class__'.*reserved"):
        load_checkpoint(path)
    with h5py.File(path, "r+") as f:
        del f["model/config"]
        f["model/config"] = "[" * 100000 + "]" * 100000
        reseal(f)
    for loader in (load_checkpoint, read_checkpoint):
        with pytest.raises(CheckpointError, match="nests lists or objects more than 64 deep"):
            loader(path)


def test_stale_temp_files_of_our_naming_are_removed(tmp_path):
    stale = tmp_path / ".m.h5.tmp-0123abcd"
    stale.write_bytes(b"x" * 1000)
    other = tmp_path / ".m.h5.tmp-notours"
    other.write_bytes(b"keep")
    neighbour = tmp_path / ".n.h5.tmp-0123abcd"
    neighbour.write_bytes(b"keep")
    save_checkpoint(tmp_path / "m.h5", model())
    assert not stale.exists() and other.exists() and neighbour.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.h5.tmp-notours",
                                                         ".n.h5.tmp-0123abcd", "m.h5"]


def _hold_lock(path: str, ready, release) -> None:
    with output_lock(path):
        ready.set()
        release.wait(30)


def test_a_second_writer_is_refused(tmp_path):
    target = tmp_path / "m.h5"
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(target), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(CheckpointError, match=rf"{target} is being written by another "
                                                  rf"process \(pid {holder.pid}\)"):
            save_checkpoint(target, model())
        assert not target.exists()
    finally:
        release.set()
        holder.join(30)
    save_checkpoint(target, model())  # released (also when the holder dies): writable again
    with output_lock(target), output_lock(target):  # re-entrant within a process
        save_checkpoint(target, model())
    assert not (tmp_path / ".m.h5.lock").exists()


def test_reading_during_saves_keeps_working(tmp_path):
    target = tmp_path / "m.h5"
    m = model()
    save_checkpoint(target, m)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        while not stop.is_set():
            try:
                save_checkpoint(target, m, metadata={"blob": np.zeros(20000)})
            except BaseException as err:  # noqa: BLE001
                errors.append(err)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        loads = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                load_checkpoint(target)
            loads += 1
    finally:
        stop.set()
        thread.join()
    assert loads > 0 and not errors
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]
