"""Activations, normalisations and ``one_hot`` of :mod:`tinygrad_cnn.nn.functional`, composed
of differentiable tensor ops (so they run on every device) with PyTorch's formulas.

Example:
    >>> import tinygrad_cnn as tg
    >>> relu6(tg.Tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..functions import where
from ..tensor import Tensor
from ._fcommon import _check_float

__all__ = ["elu", "gelu", "silu", "relu6", "hardswish", "softplus", "mish", "layer_norm",
           "group_norm", "one_hot"]


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` above 0, ``alpha * (exp(x) - 1)`` below."""
    _check_float(input, "elu")
    neg = (input.clamp(max=0.0).exp() - 1) * alpha      # clamped: no inf in the unused branch
    return where(input > 0, input, neg)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with the exact normal CDF, or its tanh approximation."""
    _check_float(input, "gelu")
    if approximate == "none":
        return input * 0.5 * (1 + (input * (1 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    _check_float(input, "silu")
    return input * input.sigmoid()


def relu6(input: Tensor) -> Tensor:
    """``min(max(x, 0), 6)``; zero gradient at both ends (as PyTorch's hardtanh)."""
    _check_float(input, "relu6")
    return where(input < 6.0, input.relu(), 6.0)


def hardswish(input: Tensor) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    _check_float(input, "hardswish")
    return input * relu6(input + 3.0) * (1.0 / 6.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    _check_float(input, "softplus")
    bx = input * beta
    smooth = (bx.clamp(min=0.0) + (1 + (-bx.abs()).exp()).log()) * (1.0 / beta)
    return where(bx > threshold, input, smooth)


def mish(input: Tensor) -> Tensor:
    """``x * tanh(softplus(x))``."""
    _check_float(input, "mish")
    return input * softplus(input).tanh()


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions (biased variance)."""
    op = "layer_norm"
    _check_float(input, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else \
        tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.shape[input.ndim - k:] != shape or k > input.ndim:
        raise ValueError(f"{op}: normalized_shape {shape} must match the trailing dimensions of "
                         f"input {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ValueError(f"{op}: {name} must have shape {shape}, got {t.shape}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(axes, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(axes, keepdim=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels over its channels and positions."""
    op = "group_norm"
    _check_float(input, op)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C, ...), got {input.shape}")
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"{op}: {c} channels of input {input.shape} are not divisible into "
                         f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {t.shape}")
    per_group = (c // num_groups) * int(np.prod(input.shape[2:], dtype=np.int64))
    grouped = input.reshape(n, num_groups, per_group)
    out = layer_norm(grouped, grouped.shape[2:], eps=eps) if grouped.shape[2] else grouped
    out = out.reshape(input.shape)
    affine = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(affine)
    if bias is not None:
        out = out + bias.reshape(affine)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows for integer class indices (``num_classes=-1``: max + 1)."""
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got "
                        f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    from ..ops.select import OneHot, index_bounds
    index = tensor.detach().long()
    if num_classes == -1:
        if index.numel() == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = index_bounds(index)[1] + 1
    if index.numel():
        lo, hi = index_bounds(index)
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"one_hot: class values must lie in [0, {num_classes}), got "
                             f"[{lo}, {hi}]")
    return OneHot.apply(index, num_classes=int(num_classes))
