"""What every lab shares: its output folder, writing its PNG, a model's forward pass on numpy
arrays, and small seeded training runs through the public training API.

Example:
    >>> import tempfile
    >>> folder = output_folder(Path(tempfile.mkdtemp()) / "lab")
    >>> folder.is_dir()
    True
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader
from tinygrad_cnn.training import fit
from tinygrad_cnn.training.plots import save_png


def output_folder(out: str | os.PathLike[str]) -> Path:
    """Create (if needed) and return the folder a lab writes into; a path that exists and is
    not a folder is refused.

    Example:
        >>> import tempfile; f = Path(tempfile.mkdtemp()) / "file"; _ = f.write_text("x")
        >>> output_folder(f)
        Traceback (most recent call last):
        ...
        NotADirectoryError: ...file exists and is not a folder; choose another output folder
    """
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder; choose another output "
                                 f"folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_picture(image: Image.Image, out: str | os.PathLike[str], name: str) -> Path:
    """Write ``image`` as ``<out>/<name>.png`` (atomically) and return its path.

    Example:
        >>> import tempfile
        >>> save_picture(Image.new("RGB", (2, 2)), tempfile.mkdtemp(), "x").name
        'x.png'
    """
    return save_png(image, output_folder(out) / f"{name}.png")


def forward(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """``model(x)`` in evaluation mode without gradients, as a numpy array.

    Example:
        >>> forward(nn.Flatten(), np.ones((1, 2, 2), np.float32)).shape
        (1, 4)
    """
    with model.evaluating(), tg.no_grad():
        return model(tg.Tensor(np.ascontiguousarray(x, dtype=np.float32))).numpy()


def train_classifier(model: nn.Module, x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int,
                     normalise: tuple[Sequence[float], Sequence[float]], lr: float = 3e-3,
                     batch_size: int = 32) -> list[dict]:
    """Train ``model`` with Adam on (x, y) (dataset units) for ``epochs`` epochs, shuffled with
    ``seed``, without augmentation; returns the per-epoch history.

    Example:
        >>> x = np.random.default_rng(0).random((16, 1, 2, 2)).astype(np.float32)
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> len(train_classifier(model, x, np.arange(16) % 2, epochs=2, seed=0,
        ...                      normalise=([0.0], [1.0])))
        2
    """
    loader = DataLoader(x, y, batch_size=batch_size, seed=seed, normalise=normalise)
    opt = optim.Adam(model.parameters(), lr=lr)
    return fit(model, opt, loader, epochs=epochs, seed=seed, handle_sigint=False)
