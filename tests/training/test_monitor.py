"""The monitored metric: best epoch with min-delta, early-stopping decisions, fallbacks."""
from __future__ import annotations

import math

import pytest

from tinygrad_cnn.training.monitor import (best_by, check_monitor, improvements,
                                           resolve_monitor, should_stop)

H = [{"epoch": 1, "val_loss": 1.0, "val_acc": 0.50, "train_loss": 1.2},
     {"epoch": 2, "val_loss": 0.8, "val_acc": 0.70, "train_loss": 1.0},
     {"epoch": 3, "val_loss": 0.79, "val_acc": 0.70, "train_loss": 0.9},
     {"epoch": 4, "val_loss": math.nan, "val_acc": 0.75, "train_loss": 0.8},
     {"epoch": 5, "val_loss": 0.9, "val_acc": 0.60, "train_loss": 0.7}]


def test_lower_is_better_for_losses_higher_for_accuracies():
    assert best_by(H, "val_loss") == 3 and best_by(H, "val_acc") == 4
    assert best_by(H, "train_loss") == 5
    assert improvements(H, "val_acc") == [1, 2, 4]  # a tie is not an improvement


def test_min_delta_is_absolute_and_strict():
    assert best_by(H, "val_loss", min_delta=0.05) == 2   # 0.79 beats 0.8 by less than 0.05
    assert best_by(H, "val_loss", min_delta=0.25) == 1   # nothing 0.25 below 1.0
    exact = [{"epoch": 1, "val_loss": 1.0}, {"epoch": 2, "val_loss": 0.5}]
    assert best_by(exact, "val_loss", min_delta=0.5) == 1  # by exactly min_delta: no
    assert best_by([], "val_loss") is None


def test_should_stop_counts_epochs_since_the_last_improvement():
    assert not should_stop(H[:3], "val_loss", patience=1)
    assert not should_stop(H[:4], "val_loss", patience=2)  # NaN: no value, one epoch since 3
    assert should_stop(H, "val_loss", patience=2)
    assert should_stop(H[:3], "val_loss", patience=1, min_delta=0.05)
    assert not should_stop([], "val_loss", patience=1)


def test_names_and_fallback_without_validation():
    assert check_monitor("Val-Acc") == "val_acc"
    with pytest.raises(ValueError, match="choose one of val_loss"):
        check_monitor("f1")
    assert resolve_monitor("val_loss", True) == ("val_loss", None)
    metric, note = resolve_monitor("val_loss", False)
    assert metric == "train_loss" and "no validation split" in note
