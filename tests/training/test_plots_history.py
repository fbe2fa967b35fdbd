"""Curves PNG (Pillow only, atomic) and the history helpers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.training import best_epoch, curves_image, curves_path, format_record, save_curves
from tinygrad_cnn.training import plots
from tinygrad_cnn.training.history import epoch_record

HISTORY = [epoch_record(i + 1, 2.0 / (i + 1), 0.3 + 0.1 * i, 2.2 / (i + 1), 0.25 + 0.1 * i,
                        0.1, 1.0, 100.0) for i in range(5)]


def test_curves_draw_both_series():
    img = np.asarray(curves_image(HISTORY))
    assert img.shape == (360, 900, 3)
    train_blue = np.all(img == plots._LINE_COLOURS["train"], axis=-1)
    val_orange = np.all(img == plots._LINE_COLOURS["val"], axis=-1)
    # both lines appear in both panels (loss left, accuracy right)
    for mask in (train_blue, val_orange):
        assert mask[:, :450].sum() > 50 and mask[:, 450:].sum() > 50


def test_curves_without_validation_and_with_nan():
    h = [dict(r, val_loss=None, val_acc=None) for r in HISTORY]
    h[2]["train_loss"] = math.nan
    img = np.asarray(curves_image(h))
    assert not np.all(img == plots._LINE_COLOURS["val"], axis=-1).any()


def test_save_curves_is_atomic(tmp_path, monkeypatch):
    path = save_curves(HISTORY, tmp_path / "c.png")
    good = path.read_bytes()
    with Image.open(path) as im:
        assert im.format == "PNG"

    def crash(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", crash)
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
