"""save_checkpoint: file contents, atomic replacement under simulated crashes, clear errors."""
from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import atomic, nn
from tinygrad_cnn.checkpoint import (FORMAT_NAME, FORMAT_VERSION, CheckpointError,
                                     load_checkpoint, save_checkpoint)
from tinygrad_cnn.checkpoint import save as save_module


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def test_file_layout(tmp_path, trained):
    model, opt, sched = trained
    path = save_checkpoint(tmp_path / "m.h5", model, optimizer=opt, scheduler=sched,
                           metadata={"epoch": 2})
    assert path == tmp_path / "m.h5"
    with h5py.File(path, "r") as f:
        # version 2: fixed-length strings (h5py reads them as bytes), no global heap
        assert f.attrs["format"] == FORMAT_NAME.encode()
        assert f.attrs["format_version"] == FORMAT_VERSION
        assert f.attrs["framework_version"] == tg.__version__.encode()
        config = json.loads(f["model/config"][()])
        assert config["type"] == "Sequential"
        assert [c["type"] for c in config["layers"]] == [
            "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
        plugins = json.loads(f["model/plugins"][()])
        assert set(plugins) == {"Sequential", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d",
                                "Flatten", "Linear"}
        assert plugins["Conv2d"]["distribution"].startswith("tinygrad-cnn")
        # flat group, dotted names, state_dict order, exact dtypes and shapes
        state = model.state_dict()
        assert list(f["parameters"]) == list(state)
        for name, arr in state.items():
            assert f["parameters"][name].dtype == arr.dtype
            assert f["parameters"][name].shape == arr.shape
        assert f["parameters/1.num_batches_tracked"].shape == ()
        assert f["parameters/1.num_batches_tracked"].dtype == np.int64
        assert f["optimizer"].attrs["class"] == b"Adam"
        assert f["scheduler"].attrs["class"] == b"StepLR"
        assert "optimizer/arrays/state.0.exp_avg" in f
        assert json.loads(f["metadata/json"][()]) == {"epoch": 2}


def test_optional_parts_absent(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(2, 2)))
    with h5py.File(path, "r") as f:
        assert sorted(f) == ["model", "parameters"]
    ckpt = load_checkpoint(path)
    assert ckpt.optimizer_state is None and ckpt.scheduler_state is None
    assert ckpt.metadata == {}


def test_state_dicts_accepted_instead_of_objects(tmp_path, trained):
    model, opt, sched = trained
    path = save_checkpoint(tmp_path / "m.h5", model, optimizer=opt.state_dict(),
                           scheduler=sched.state_dict())
    with h5py.File(path, "r") as f:
        assert "class" not in f["optimizer"].attrs
    ckpt = load_checkpoint(path)
    assert ckpt.scheduler_state == sched.state_dict()


def test_overwrite_replaces_previous_and_leaves_no_temp(tmp_path):
    path = tmp_path / "m.h5"
    save_checkpoint(path, nn.Sequential(nn.Linear(2, 2)), metadata={"epoch": 1})
    save_checkpoint(path, nn.Sequential(nn.Linear(2, 2)), metadata={"epoch": 2})
    assert load_checkpoint(path).metadata == {"epoch": 2}
    assert leftovers(tmp_path) == []


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(2, 2)))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.fixture
def previous(tmp_path):
    """An existing checkpoint whose bytes must survive a failed save."""
    path = tmp_path / "m.h5"
    save_checkpoint(path, nn.Sequential(nn.Linear(3, 2)), metadata={"epoch": 7})
    return path, path.read_bytes()


def assert_intact(path: Path, data: bytes) -> None:
    assert path.read_bytes() == data
    assert load_checkpoint(path).metadata == {"epoch": 7}
    assert leftovers(path.parent) == []


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt(),
                                 RuntimeError("boom")])
def test_crash_midway_through_writing(previous, trained, monkeypatch, exc):
    path, data = previous
    real = h5py.Group.create_dataset
    calls = []

    def create_dataset(self, name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 5:  # after the config, plugins and a few parameters
            raise exc
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset)
    model, opt, sched = trained
    expected = CheckpointError if isinstance(exc, OSError) else type(exc)
    with pytest.raises(expected) as info:
        save_checkpoint(path, model, optimizer=opt, scheduler=sched, metadata={"epoch": 8})
    assert len(calls) == 5
    if expected is CheckpointError:
        assert "No space left" in str(info.value) and "unchanged" in str(info.value)
    monkeypatch.undo()
    assert_intact(path, data)


@pytest.mark.parametrize("step", ["fsync_path", "replace"])
def test_crash_after_writing_before_rename(previous, monkeypatch, step):
    path, data = previous

    def fail(*args, **kwargs):
        raise OSError(5, "Input/output error")

    if step == "replace":
        monkeypatch.setattr(save_module.os, "replace", fail)
    else:
        monkeypatch.setattr(atomic, step, fail)
    with pytest.raises(CheckpointError, match="Input/output error"):
        save_checkpoint(path, nn.Sequential(nn.Linear(3, 2)), metadata={"epoch": 8})
    monkeypatch.undo()
    assert_intact(path, data)


def test_unsavable_metadata_fails_before_touching_disk(previous):
    path, data = previous
    with pytest.raises(CheckpointError, match=r"metadata\.bad: cannot store a object"):
        save_checkpoint(path, nn.Sequential(nn.Linear(3, 2)), metadata={"bad": object()})
    assert_intact(path, data)


@pytest.mark.parametrize("metadata, message", [
    ({"x": {1.5: 2}}, "dict key 1.5 is a float"),
    ({"x": np.array(["a"])}, "dtype <U1"),
    ({"__ndarray__": 1}, "reserved"),
    ({1: "a", "1": "b"}, "collide"),
    ([1, 2], "expected a dict"),
])
def test_bad_metadata_messages(tmp_path, metadata, message):
    with pytest.raises(CheckpointError, match=message):
        save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(1, 1)), metadata=metadata)
    assert list(tmp_path.iterdir()) == []


def test_unregistered_layer_is_a_clear_error(tmp_path):
    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(CheckpointError, match="cannot save the model: .*not registered"):
        save_checkpoint(tmp_path / "m.h5", nn.Sequential(Custom()))
    assert list(tmp_path.iterdir()) == []


def test_bad_optimizer_argument(tmp_path):
    with pytest.raises(CheckpointError, match="expected an object with state_dict"):
        save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(1, 1)), optimizer=42)


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="folder .*nope does not exist"):
        save_checkpoint(tmp_path / "nope" / "m.h5", nn.Sequential(nn.Linear(1, 1)))


def test_target_is_a_folder(tmp_path):
    with pytest.raises(CheckpointError, match="it is a folder"):
        save_checkpoint(tmp_path, nn.Sequential(nn.Linear(1, 1)))


def test_unwritable_folder_simulated(tmp_path, monkeypatch):
    """Root ignores permission bits, so the refusal of the OS is simulated at os.open."""
    real = os.open

    def deny(path, *args, **kwargs):
        if ".tmp-" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(save_module.os, "open", deny)
    with pytest.raises(CheckpointError, match="is not writable; choose another output path"):
        save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(1, 1)))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write to read-only folders")
def test_unwritable_folder_real(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CheckpointError, match="not writable"):
            save_checkpoint(folder / "m.h5", nn.Sequential(nn.Linear(1, 1)))
    finally:
        folder.chmod(0o700)


def test_state_names_with_slash_are_refused(tmp_path):
    model = nn.Sequential(nn.Linear(1, 1))
    model.add_module("a/b", nn.Linear(1, 1))
    with pytest.raises(CheckpointError, match="cannot contain '/'"):
        save_checkpoint(tmp_path / "m.h5", model)
