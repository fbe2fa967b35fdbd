"""The metadata schema checked on load: every wrong type, length or range is one clear
CheckpointError; a checkpoint does not choose local dataset files."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import CheckpointError, save_checkpoint
from tinygrad_cnn.training import OptionError, TrainConfig
from tinygrad_cnn.training.inference import eval_split, load_model
from tinygrad_cnn.training.metadata import check_metadata

GOOD = {"dataset": "shapes", "classes": ["a", "b"], "input_shape": [3, 4, 4],
        "mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2], "pixel_max": 255.0, "hflip_ok": True,
        "notes": [], "train_config": TrainConfig(limit=8).to_dict(), "epoch": 1, "epochs": 2,
        "history": [{"epoch": 1}], "seed": 0, "rng_state": {}, "loader_state": {},
        "partial_epoch": {"batches": 0, "loss_sum": 0.0, "correct": 0, "seen": 0, "time": 0.0}}

BAD = [
    ("train_config.limit", 10**9, r"train_config.limit must be an integer in \[1, 1000000\]"),
    ("train_config.limit", "5", "train_config.limit must be an integer"),
    ("train_config.seed", "x", "train_config.seed must be an integer"),
    ("train_config.lr", float("nan"), "train_config.lr must be a finite number"),
    ("train_config.data", 7, "train_config.data must be a string"),
    ("train_config.augment", "yes", "train_config.augment must be true or false"),
    ("train_config", [1], "train_config must be an object"),
    ("input_shape", [3, 40000, 40000], r"input_shape\[1\] \(height\) must be an integer"),
    ("input_shape", [3, 4], "input_shape must be a list of 3 to 3 items"),
    ("input_shape", [3, 4.5, 4], r"input_shape\[1\] \(height\) must be an integer in \[1, 16384\], got 4.5"),
    ("mean", [0.5], "mean must be a list of 3 to 3 items"),
    ("std", [0.2, 0.0, 0.2], r"std\[1\] must be a finite number > 0"),
    ("std", [0.2, float("nan"), 0.2], r"std\[1\] must be a finite number > 0"),
    ("classes", [], "classes must be a list of 1 to"),
    ("classes", ["a", 3], r"classes\[1\] must be a string"),
    ("pixel_max", -1, "pixel_max must be a finite number > 0"),
    ("hflip_ok", 1, "hflip_ok must be true or false"),
    ("epoch", "x", "epoch must be an integer"),
    ("epoch", 5, "epoch 5 is beyond epochs 2"),
    ("history", [], "history must be a list of 1 to 1 items"),
    ("partial_epoch.batches", -3, "partial_epoch.batches must be an integer"),
    ("loader_state", [1, 2], "loader_state must be an object"),
]


def _set(meta: dict, dotted: str, value) -> dict:
    meta = copy.deepcopy(meta)
    *parents, leaf = dotted.split(".")
    node = meta
    for key in parents:
        node = node[key]
    node[leaf] = value
    return meta


def test_good_metadata_passes():
    check_metadata(GOOD, "m.h5")


@pytest.mark.parametrize("key,value,match", BAD, ids=[f"{k}={v!r}"[:40] for k, v, _ in BAD])
def test_bad_metadata_is_one_clear_error(key, value, match):
    with pytest.raises(CheckpointError, match=match) as info:
        check_metadata(_set(GOOD, key, value), "m.h5")
    assert str(info.value).startswith("m.h5: metadata ") and "\n" not in str(info.value)


def test_forged_limit_is_refused_before_generating_anything(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 2))
    meta = _set(GOOD, "train_config.limit", 10**9)
    path = save_checkpoint(tmp_path / "m.h5", model, metadata=meta)
    with pytest.raises(CheckpointError, match="train_config.limit"):
        load_model(path)


def test_a_checkpoint_does_not_choose_local_files(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 2))
    meta = _set(_set(GOOD, "train_config.data", "folder:/"), "dataset", "folder:/")
    path = save_checkpoint(tmp_path / "m.h5", model, metadata=meta)
    loaded = load_model(path)
    with pytest.raises(OptionError, match=r"trained on 'folder:/'.*name it yourself"
                                          r".*`data=folder:/`"):
        eval_split(loaded)
    assert np.isfinite(loaded.info.mean).all()
