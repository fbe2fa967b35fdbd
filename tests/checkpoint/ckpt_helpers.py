"""Helpers of the checkpoint tests: a small real CNN (conv, batch norm, pooling, linear) and
a few training steps, so that weights, running statistics, the batch counter and the
optimizer moments are all non-trivial."""
from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.nn import functional as F

INPUT = (2, 3, 8, 8)


def small_cnn(width: int = 4, classes: int = 5) -> nn.Module:
    """Conv -> BatchNorm -> ReLU -> MaxPool -> Flatten -> Linear on 3x8x8 images."""
    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(width * 16, classes))


def batch(seed: int = 0) -> tuple[tg.Tensor, tg.Tensor]:
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.standard_normal(INPUT).astype(np.float32))
    y = tg.Tensor(rng.integers(0, 5, INPUT[0]))
    return x, y


def train_steps(model: nn.Module, opt: Any, steps: int, seed: int = 0) -> None:
    model.train()
    for i in range(steps):
        x, y = batch(seed + i)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


from tinygrad_cnn.checkpoint.integrity import reseal  # noqa: E402,F401 - for the tests here
