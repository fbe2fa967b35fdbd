"""``SobelEdges``: fixed Sobel filters applied to every input channel (a depthwise conv).

The layer composes existing ops only (``tinygrad_cnn.nn.functional.conv2d`` with
``groups=in_channels``), so autodiff, devices and dtypes come from the framework: the
gradient flows to the input, while the kernels are buffers, not parameters, and never train.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(SobelEdges(1, ["vertical", "horizontal"]), nn.Conv2d(2, 4, 3))
    >>> model(tg.zeros(1, 1, 6, 6)).shape
    (1, 4, 4, 4)
    >>> SobelEdges(3).num_parameters()
    0
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from tinygrad_cnn import Tensor
from tinygrad_cnn.nn import Module
from tinygrad_cnn.nn import functional as F

from .kernels import DIRECTIONS, check_directions, sobel_weight

#: added under the square root of ``magnitude=True`` so that its gradient stays finite
MAGNITUDE_EPS = 1e-12


class SobelEdges(Module):
    """Sobel edge responses of each input channel: (N, C, H, W) -> (N, C * D, H, W).

    Args:
        in_channels: channels of the input (C).
        directions: which of ``"horizontal"``, ``"vertical"``, ``"diagonal"``,
            ``"antidiagonal"`` to compute (D of them, in the given order).
        magnitude: instead of the D signed responses, return one map per input channel,
            ``sqrt(sum_d response_d ** 2 + 1e-12)`` (the edge strength), shape (N, C, H, W).

    Output channel ``c * D + d`` is channel ``c`` filtered by direction ``d``. Padding is 1
    (zeros), so the spatial size is kept and the image border reads as an edge. The weight
    is a non-persistent buffer (rebuilt from the configuration, not stored in state dicts)
    and is cast to the input's dtype on the fly, so float32 and float64 inputs both work.
    """

    def __init__(self, in_channels: int, directions: str | Sequence[str] = DIRECTIONS,
                 magnitude: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(in_channels, bool) or not isinstance(in_channels, (int, np.integer)):
            raise TypeError(f"{name}: in_channels must be an int, got {in_channels!r}")
        if in_channels < 1:
            raise ValueError(f"{name}: in_channels must be >= 1, got {in_channels}")
        if not isinstance(magnitude, (bool, np.bool_)):
            raise TypeError(f"{name}: magnitude must be true or false, got {magnitude!r}")
        self.in_channels = int(in_channels)
        self.directions = check_directions(directions, name)
        self.magnitude = bool(magnitude)
        weight = sobel_weight(self.in_channels, self.directions)
        self.register_buffer("weight", Tensor(weight, dtype=np.float32), persistent=False)

    @property
    def out_channels(self) -> int:
        """Channels of the output: C * D, or C with ``magnitude=True``."""
        return self.in_channels * (1 if self.magnitude else len(self.directions))

    def forward(self, x: Tensor) -> Tensor:
        weight = self.weight if self.weight.dtype == x.dtype else self.weight.to(dtype=x.dtype)
        y = F.conv2d(x, weight, None, stride=1, padding=1, groups=self.in_channels)
        if not self.magnitude:
            return y
        n, _, h, w = y.shape
        squares = (y * y).reshape(n, self.in_channels, len(self.directions), h, w)
        return (squares.sum(2) + MAGNITUDE_EPS).sqrt()

    def get_config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "directions": list(self.directions),
                "magnitude": self.magnitude}

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, directions={list(self.directions)}"
        return text + (", magnitude=True" if self.magnitude else "")
