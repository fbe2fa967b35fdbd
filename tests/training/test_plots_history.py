"""Curves PNG (matplotlib, atomic) and the history helpers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.training import best_epoch, curves_image, curves_path, format_record, save_curves
from tinygrad_cnn.training import curves
from tinygrad_cnn.training.history import epoch_record

HISTORY = [epoch_record(i + 1, 2.0 / (i + 1), 0.3 + 0.1 * i, 2.2 / (i + 1), 0.25 + 0.1 * i,
                        0.1, 1.0, 100.0) for i in range(5)]


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_curves_draw_both_series_log_loss_percent_accuracy_title_and_best():
    fig = curves.curves_figure(HISTORY, title="vgg11_bn on shapes", best_epoch=4,
                               monitor="val_loss")
    loss_ax, acc_ax = fig.axes
    assert fig._suptitle.get_text() == "vgg11_bn on shapes"
    assert loss_ax.get_yscale() == "log" and "loss" in loss_ax.get_ylabel()
    assert acc_ax.get_ylabel() == "accuracy (%)" and acc_ax.get_ylim() == (0, 100)
    for ax in (loss_ax, acc_ax):
        lines = _lines(ax)
        assert {"train", "val", "best epoch 4 (val_loss)"} <= set(lines)
        assert list(lines["best epoch 4 (val_loss)"].get_xdata()) == [4, 4]
        assert ax.get_xlabel() == "epoch"
    assert np.allclose(_lines(acc_ax)["val"].get_ydata(), [100 * r["val_acc"] for r in HISTORY])
    assert np.asarray(curves_image(HISTORY)).shape == (400, 1000, 3)


def test_curves_without_validation_and_with_nan():
    h = [dict(r, val_loss=None, val_acc=None) for r in HISTORY]
    h[2]["train_loss"] = math.nan
    loss_ax, acc_ax = curves.curves_figure(h).axes
    assert "val" not in _lines(loss_ax) and "val" not in _lines(acc_ax)
    assert math.isnan(_lines(loss_ax)["train"].get_ydata()[2])


def test_a_loss_of_zero_clips_instead_of_log():
    h = [dict(r) for r in HISTORY]
    h[-1]["train_loss"] = 0.0
    loss_ax = curves.curves_figure(h).axes[0]
    assert loss_ax.get_yscale() == "linear"


def test_save_curves_is_atomic(tmp_path, monkeypatch):
    path = save_curves(HISTORY, tmp_path / "c.png")
    good = path.read_bytes()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (1000, 400)

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(curves.os, "fsync", crash)
    with pytest.raises(OSError):
        save_curves(HISTORY[:2], path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


def test_curves_path_is_beside_the_checkpoint():
    assert curves_path("runs/model.h5").as_posix() == "runs/model.curves.png"


def test_best_epoch_rules():
    h = [dict(epoch=1, train_loss=1.0, val_acc=0.8, val_loss=0.5),
         dict(epoch=2, train_loss=0.9, val_acc=0.9, val_loss=0.6),
         dict(epoch=3, train_loss=0.8, val_acc=0.9, val_loss=0.4),
         dict(epoch=4, train_loss=0.7, val_acc=math.nan, val_loss=0.4)]
    assert best_epoch(h) == 3  # tie on accuracy: lower validation loss
    assert best_epoch([dict(epoch=1, train_loss=0.5, val_acc=None),
                       dict(epoch=2, train_loss=0.7, val_acc=None)]) == 1
    assert best_epoch([]) is None


def test_format_record_is_one_line():
    line = format_record(HISTORY[0])
    assert "\n" not in line and line.startswith("epoch 1: train loss 2.0000 acc 30.00%")
    assert "val loss 2.2000 acc 25.00%" in line and "img/s" in line
