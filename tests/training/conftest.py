"""Tiny models and data for the training-loop tests (seconds, not minutes)."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, channel_stats
from tinygrad_cnn.training import Trainer


def tiny_model() -> nn.Module:
    """Conv + batch norm + dropout: every kind of state exact resume must restore."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 4 * 4, 3))


def tiny_data(n: int = 48, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is the bright quadrant (0: top-left, 1: top-right, 2: bottom)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.integers(0, 60, (n, 3, 8, 8)).astype(np.uint8)
    for i, c in enumerate(y):
        r, cc = (0, 0) if c == 0 else (0, 4) if c == 1 else (4, 2)
        x[i, :, r:r + 4, cc:cc + 4] += 150
    return x, y


@pytest.fixture
def one_thread():
    """Pin the CPU kernels to one thread: the multi-threaded conv weight gradient sums its
    per-thread partials in whichever order the threads ran (dynamic work sharing), so two
    runs differ in the last bits; exact-resume comparisons need a deterministic order."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


@pytest.fixture
def make_trainer(one_thread):
    """Build a fresh trainer (model, optimizer with momentum, warm-up + cosine schedule,
    shuffling + augmenting loader, validation split); ``init_seed`` seeds the weights."""
    x, y = tiny_data()
    xv, yv = tiny_data(12, seed=1)
    mean, std = channel_stats(x)

    def make(checkpoint=None, epochs: int = 3, callbacks=(), init_seed: int = 0,
             loader_seed: int = 1, model: nn.Module | None = None, handle_sigint: bool = False,
             lr: float = 0.05) -> Trainer:
        tg.manual_seed(init_seed)
        model = model if model is not None else tiny_model()
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                        weight_decay=1e-3)
        sched = optim.lr_scheduler.warmup_cosine(opt, 1, epochs)
        loader = DataLoader(x, y, batch_size=8, seed=loader_seed, normalise=(mean, std),
                            augment=True, flip=True)
        return Trainer(model, opt, loader, epochs=epochs, scheduler=sched, val=(xv, yv),
                       normalise=(mean, std), checkpoint_path=checkpoint, callbacks=callbacks,
                       seed=0, metadata={"classes": ["a", "b", "c"]},
                       handle_sigint=handle_sigint)

    return make
