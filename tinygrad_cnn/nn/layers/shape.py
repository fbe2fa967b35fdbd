"""Shape layers without parameters: ``Flatten`` and ``Identity``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor
from ..module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` (default: all but the batch dimension).

    Example:
        >>> import tinygrad_cnn as tg
        >>> Flatten()(tg.zeros(2, 512, 7, 7)).shape
        (2, 25088)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"Flatten: {name} must be an int, got {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def get_config(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input (a placeholder, e.g. for a removed classifier layer)."""

    def forward(self, x: Tensor) -> Tensor:
        return x

    def get_config(self) -> dict[str, Any]:
        return {}
