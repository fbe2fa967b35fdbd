"""``SqueezeExcite``: the squeeze-and-excitation block (Hu et al., 2018) as a layer.

Squeeze: average every channel over space (the plugin's ``ChannelMean`` op). Excite: a
two-layer MLP ``C -> C // reduction -> C`` with ReLU then sigmoid gives one weight in (0, 1)
per channel, and the input is rescaled by it (the plugin's ``ChannelScale`` op). Shape is
kept: (N, C, H, W) -> (N, C, H, W).

Example:
    >>> import tinygrad_cnn as tg
    >>> se = SqueezeExcite(16, reduction=4)
    >>> se(tg.randn(2, 16, 8, 8)).shape
    (2, 16, 8, 8)
    >>> se.num_parameters()          # 16*4 + 4 + 4*16 + 16
    148
"""
from __future__ import annotations

from typing import Any

import numpy as np
from tinygrad_cnn import Tensor
from tinygrad_cnn.nn import Linear, Module

from .functional import squeeze_excite


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"SqueezeExcite: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"SqueezeExcite: {name} must be >= 1, got {value}")
    return int(value)


class SqueezeExcite(Module):
    """Channel attention: ``x * sigmoid(fc2(relu(fc1(mean_hw(x)))))``.

    Args:
        channels: channels of the input (C).
        reduction: the hidden width is ``max(1, channels // reduction)``.

    Parameters: ``fc1`` (``Linear(C, hidden)``) and ``fc2`` (``Linear(hidden, C)``) with
    PyTorch's default ``Linear`` initialisation. Runs the plugin's Numba ops on the CPU and
    built-in ops on other devices.
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.channels = _positive_int(channels, "channels")
        self.reduction = _positive_int(reduction, "reduction")
        self.hidden = max(1, self.channels // self.reduction)
        self.fc1 = Linear(self.channels, self.hidden)
        self.fc2 = Linear(self.hidden, self.channels)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 4 and x.shape[1] != self.channels:
            raise ValueError(f"SqueezeExcite: expected {self.channels} channels, got input of "
                             f"shape {x.shape}")
        return squeeze_excite(x, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias)

    def get_config(self) -> dict[str, Any]:
        # fc1/fc2 are rebuilt from these arguments; their weights travel in the state dict
        return {"channels": self.channels, "reduction": self.reduction}

    def extra_repr(self) -> str:
        return f"{self.channels}, reduction={self.reduction}"
