"""A seeded fuzz run in the suite: a few hundred mutants of a small trained checkpoint and of
data files, each loaded in a worker process under a 2 GiB memory limit. No traceback, no
memory blow-up, no hang and no silently accepted corruption (the long run:
``python benchmarks/fuzz_files.py``)."""
from __future__ import annotations

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import save_checkpoint
from tinygrad_cnn.optim import SGD
from tinygrad_cnn.testing.fuzz import FAILURES, run_fuzz
from tinygrad_cnn.training.config import DataInfo, TrainConfig

from .ckpt_helpers import train_steps

COUNTS = {"byteflip": 80, "truncate": 30, "structural": 60, "forged": 80, "cifar": 50, "npz": 30}


def _checkpoint(folder):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 16, 5))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    train_steps(model, opt, 2)
    info = DataInfo("shapes", list("abcde"), [3, 8, 8], [0.5] * 3, [0.25] * 3)
    meta = {**info.to_metadata(), "train_config": TrainConfig(limit=10).to_dict(), "epoch": 1,
            "epochs": 2, "history": [{"epoch": 1, "train_loss": 1.0}], "seed": 0,
            "rng_state": {"seed": 0}, "loader_state": {"position": 0},
            "extra": np.arange(5.0)}
    return save_checkpoint(folder / "model.h5", model, optimizer=opt, metadata=meta)


def test_fuzz_no_traceback_no_bomb_no_silent_corruption(tmp_path):
    report = run_fuzz(_checkpoint(tmp_path), COUNTS, seed=0, timeout=120)
    assert {k: sum(c.values()) for k, c in report.counts.items()} == COUNTS
    failing = {f"{k}/{o}": c[o] for k, c in report.counts.items() for o in FAILURES if c[o]}
    assert failing == {}, (failing, report.examples)
    for kind in ("byteflip", "truncate", "structural"):  # most damage is seen and refused
        assert report.counts[kind]["refused"] >= COUNTS[kind] // 2, report.table()
