"""A small checkpoint and image for examples and tests of the checkpoint-only tools
(``evaluate_checkpoint``, ``predict_files``, ``save_activation_grid`` ...)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["example_checkpoint"]


def example_checkpoint(folder: str | os.PathLike[str] | None = None) -> Path:
    """Save an untrained 10-class ``shapes`` model (conv 3->2, ReLU, linear; 3x32x32 inputs,
    mean 127.5 / std 64 per channel) as ``model.h5`` and a red 40x30 image ``a.png`` in
    ``folder`` (a new temporary folder when None); return the checkpoint's path.

    Example:
        >>> from tinygrad_cnn.training import load_model
        >>> path = example_checkpoint()
        >>> sorted(p.name for p in path.parent.iterdir()), load_model(path).info.input_shape
        (['a.png', 'model.h5'], [3, 32, 32])
    """
    from PIL import Image

    from .. import nn
    from ..checkpoint import save_checkpoint

    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp())
    model = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(2 * 32 * 32, 10))
    meta = {"dataset": "shapes", "classes": list("0123456789"), "input_shape": [3, 32, 32],
            "mean": [127.5] * 3, "std": [64.0] * 3}
    Image.new("RGB", (40, 30), "red").save(folder / "a.png")
    return save_checkpoint(folder / "model.h5", model, metadata=meta)
