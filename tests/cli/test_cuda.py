"""`tgcnn train --device cuda` for one epoch of a tiny model, then eval on the CPU: under the
CUDA simulator in CI's `-m cuda` process (NUMBA_ENABLE_CUDASIM=1), or on a real GPU."""
from __future__ import annotations

import json

import numpy as np
import pytest

from .helpers import run_tgcnn

pytestmark = pytest.mark.cuda


@pytest.fixture
def tiny_run(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (16, 1, 6, 6)).astype(np.uint8)
    y = np.arange(16) % 2
    x[y == 1, :, :, :3] = 255                        # class 1: bright left half
    np.savez(tmp_path / "tiny.npz", x=x, y=y, x_test=x[:6], y_test=y[:6])
    (tmp_path / "tiny.json").write_text(json.dumps([
        {"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 2, "kernel_size": 3,
                                    "padding": 1}},
        {"type": "ReLU"}, {"type": "MaxPool2d", "args": {"kernel_size": 2}},
        {"type": "Flatten"}, {"type": "Linear", "args": {"in_features": 18, "out_features": 2}}]))
    return tmp_path


def test_train_one_epoch_on_cuda_then_evaluate(tiny_run):
    proc = run_tgcnn("train", "--device", "cuda", "--data", "npz:tiny.npz", "--model",
                     "tiny.json", "--epochs", "1", "--batch-size", "8", "--val-split", "0",
                     "--no-augment", "--out", "cuda.h5", cwd=tiny_run, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1:" in proc.stdout and "test accuracy (" in proc.stdout
    evaluated = run_tgcnn("eval", "cuda.h5", "--data", "npz:tiny.npz", "--json", cwd=tiny_run)
    assert evaluated.returncode == 0, evaluated.stderr
    assert 0.0 <= json.loads(evaluated.stdout)["accuracy"] <= 1.0
