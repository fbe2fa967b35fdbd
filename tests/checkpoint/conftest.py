"""Fixtures of the checkpoint tests: trained small CNNs and a fake plugin distribution."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest
from .ckpt_helpers import small_cnn, train_steps

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.optim import SGD, Adam
from tinygrad_cnn.optim.lr_scheduler import StepLR


@pytest.fixture
def trained() -> tuple[nn.Module, Adam, StepLR]:
    """A small CNN after two Adam steps and one schedule step."""
    tg.manual_seed(0)
    model = small_cnn()
    opt = Adam(model.parameters(), lr=1e-2)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    train_steps(model, opt, 2)
    sched.step()
    return model, opt, sched


@pytest.fixture
def sgd_trained() -> tuple[nn.Module, SGD]:
    tg.manual_seed(1)
    model = small_cnn()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    train_steps(model, opt, 2)
    return model, opt


@pytest.fixture
def fake_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Callable[[], None]]:
    """Install a fake plugin distribution ``tgcnn-sobel 1.0`` declaring layer ``Sobel``
    (a dist-info folder on sys.path, REFERENCE.md section 5); returns ``uninstall()``."""
    from tinygrad_cnn import layers

    root = tmp_path / "site"
    root.mkdir()
    (root / "tgcnn_fake_sobel.py").write_text(textwrap.dedent('''
        import numpy as np
        from tinygrad_cnn.nn import Module, Parameter

        class Sobel(Module):
            """A stand-in plugin layer with one parameter per channel."""
            def __init__(self, channels):
                super().__init__()
                self.channels = channels
                self.scale = Parameter(np.ones(channels, np.float32))
            def forward(self, x):
                return x * self.scale.reshape(1, self.channels, 1, 1)
            def get_config(self):
                return {"channels": self.channels}
    '''))
    info = root / "tgcnn_sobel-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tgcnn-sobel\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tinygrad_cnn.layers]\nSobel = tgcnn_fake_sobel:Sobel\n")
    monkeypatch.syspath_prepend(str(root))
    layers.clear_cache()

    def uninstall() -> None:
        sys.path.remove(str(root))
        layers.clear_cache()

    yield uninstall
    layers.clear_cache()
