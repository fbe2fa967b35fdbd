"""A run's files, best/last checkpoints, early stopping, the tested weights, and the
schedule rule of a resumed run with more epochs."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from tinygrad_cnn.checkpoint import load_checkpoint, read_checkpoint
from tinygrad_cnn.training import OptionError, TrainConfig, evaluate, prepare_data, resume, train

TINY = dict(limit=40, width=0.125, batch_size=16, val_split=0.25)


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """3 planned epochs; no epoch can beat the first by min_delta 10: stops after epoch 2."""
    project = tmp_path_factory.mktemp("runs")
    return train(TrainConfig(epochs=3, early_stopping=1, min_delta=10.0, project=str(project),
                             name="es", **TINY))


def test_a_run_folder_holds_every_file(stopped):
    p = stopped.paths
    assert p.folder.name == "es-1" and stopped.checkpoint == p.last
    for f in (p.last, p.best, p.metrics, p.curves, p.config, p.resume):
        assert f.exists(), f
    cfg = json.loads(p.config.read_text())
    assert cfg["early_stopping"] == 1 and cfg["limit"] == 40 and "out" not in cfg
    assert p.resume.read_text().strip() == f"tgcnn train --resume {p.last}"
    rows = list(csv.DictReader(p.metrics.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert math.isclose(float(rows[1]["val_loss"]), stopped.history[1]["val_loss"])


def test_early_stopping_keeps_best_and_tests_its_weights(stopped):
    assert stopped.stopped_at == 2 and len(stopped.history) == 2
    assert stopped.best_epoch == 1 and stopped.tested_epoch == 1
    p = stopped.paths
    assert read_checkpoint(p.best).metadata["epoch"] == 1
    assert read_checkpoint(p.last).metadata["epoch"] == 2
    assert read_checkpoint(p.last).metadata["best_epoch"] == 1
    best = load_checkpoint(p.best).model
    from tinygrad_cnn.training import prepare_data

    data = prepare_data(stopped.config)
    again = evaluate(best, data.x_test, data.y_test, mean=data.info.mean, std=data.info.std)
    assert again.loss == stopped.test.loss and again.accuracy == stopped.test.accuracy


def test_a_stopped_run_stays_stopped_when_resumed(stopped):
    again = resume(stopped.paths.last)
    assert len(again.history) == 2 and again.stopped_at == 2


def test_resuming_best_would_replace_last_and_needs_overwrite(stopped):
    with pytest.raises(OptionError, match="would replace .*last.h5; pass `overwrite=True`"):
        resume(stopped.paths.best)


def test_more_epochs_on_resume_replan_the_schedule(tmp_path):
    first = train(TrainConfig(epochs=2, project=str(tmp_path), **TINY))
    assert [r["lr"] for r in first.history] == [0.05, 0.025]  # cosine over 2 epochs
    longer = resume(first.paths.last, epochs=4)
    assert longer.paths == first.paths  # continues in the same folder
    # the documented rule: as if planned for 4 epochs from the start (cosine: 0.05 at 1,
    # 0.0427 at 2, 0.025 at 3): the learning rate jumps up from 0 to 0.025 at epoch 3
    lrs = [r["lr"] for r in longer.history]
    assert lrs[:2] == [0.05, 0.025] and math.isclose(lrs[2], 0.025) \
        and math.isclose(lrs[3], 0.05 * (1 + math.cos(math.pi * 3 / 4)) / 2)
    assert any("re-planned for 4 epochs instead of 2" in n and "epoch 3: 0 -> 0.025" in n
               for n in longer.run_notes)
    rows = list(csv.DictReader(first.paths.metrics.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]


def test_without_validation_the_training_loss_is_monitored(tmp_path):
    r = train(TrainConfig(epochs=1, project=str(tmp_path), **{**TINY, "val_split": 0}))
    assert r.monitor == "train_loss" and any("no validation split" in n for n in r.run_notes)


def test_a_limit_larger_than_a_split_is_said(tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (30, 8, 8, 3), dtype=np.uint8)
    y = np.arange(30) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y, x_test=x[:6], y_test=y[:6])
    data = prepare_data(TrainConfig(data=f"npz:{tmp_path / 'd.npz'}", limit=20, val_split=0))
    assert len(data.y_test) == 6 and len(data.y_train) == 20
    assert data.info.notes[-1] == "limit 20 is more than the 6 test images: all 6 are used"


def test_a_one_class_training_split_warns(tmp_path):
    x = np.zeros((12, 4, 4), np.uint8)
    np.savez(tmp_path / "one.npz", x=x, y=np.zeros(12, np.int64), x_test=x[:2],
             y_test=np.zeros(2, np.int64))
    data = prepare_data(TrainConfig(data=f"npz:{tmp_path / 'one.npz'}", val_split=0))
    assert any("all belong to one class" in n for n in data.info.notes)
