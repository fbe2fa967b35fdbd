"""Stateless squeeze-and-excitation: ``squeeze``, ``channel_scale`` and the whole block.

Inputs are checked here, before any kernel runs. On the CPU the plugin's own ops
(:mod:`.ops`) run; on any other device (CUDA) the same maths is composed from built-in
tensor ops, so a model using the layer still moves to the GPU.

Example:
    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(2, 4, 5, 5)
    >>> channel_scale(x, squeeze(x).sigmoid()).shape
    (2, 4, 5, 5)
"""
from __future__ import annotations

import numpy as np
from tinygrad_cnn import Tensor
from tinygrad_cnn.nn import functional as F

from .ops import ChannelMean, ChannelScale

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _check_input(x: Tensor, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype not in _FLOATS:
        raise TypeError(f"{op}: input must be float32 or float64, got {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
    if x.shape[2] * x.shape[3] == 0:
        raise ValueError(f"{op}: the input of shape {x.shape} has empty planes")


def squeeze(x: Tensor) -> Tensor:
    """Global average pooling: (N, C, H, W) -> (N, C)."""
    _check_input(x, "squeeze")
    if x.device == "cpu":
        return ChannelMean.apply(x)
    return x.mean((2, 3))


def channel_scale(x: Tensor, s: Tensor) -> Tensor:
    """``x[n, c, h, w] * s[n, c]``: rescale every channel of every sample."""
    _check_input(x, "channel_scale")
    if not isinstance(s, Tensor) or s.shape != x.shape[:2]:
        raise ValueError(f"channel_scale: scales must be a Tensor of shape {x.shape[:2]} for an "
                         f"input of shape {x.shape}, got "
                         f"{s.shape if isinstance(s, Tensor) else type(s).__name__}")
    if s.dtype != x.dtype:
        raise TypeError(f"channel_scale: input is {x.dtype} but scales are {s.dtype}")
    if x.device == "cpu":
        return ChannelScale.apply(x, s)
    return x * s.reshape(x.shape[0], x.shape[1], 1, 1)


def squeeze_excite(x: Tensor, w1: Tensor, b1: Tensor | None, w2: Tensor,
                   b2: Tensor | None) -> Tensor:
    """``x * sigmoid(linear(relu(linear(mean_hw(x), w1, b1)), w2, b2))`` per channel.

    ``w1`` is (hidden, C) and ``w2`` (C, hidden), as ``Linear`` weights.
    """
    _check_input(x, "squeeze_excite")
    hidden = F.relu(F.linear(squeeze(x), w1, b1))
    return channel_scale(x, F.sigmoid(F.linear(hidden, w2, b2)))
