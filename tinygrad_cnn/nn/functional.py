"""Stateless layer functions with PyTorch's names, signatures, layouts and numerics.

Inputs are checked here, before any kernel runs, so that a mistake gives a ``ValueError`` or
``TypeError`` naming the op, the shapes received and what was expected.

Example:
    >>> import tinygrad_cnn as tg
    >>> import tinygrad_cnn.nn.functional as F
    >>> x = tg.randn(1, 3, 8, 8)
    >>> F.max_pool2d(F.relu(F.conv2d(x, tg.randn(4, 3, 3, 3), padding=1)), 2).shape
    (1, 4, 4, 4)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ops import elementwise as ew
from ..ops import loss as ls
from ..ops import norm as nm
from ..ops import pool as pl
from ..ops.conv import Conv2d
from ..ops.dropout import Dropout
from ..ops.fused import Conv2dReLU
from ..ops.matmul import Linear
from ..ops.math import EmptyResult
from ..random import next_seed
from ..tensor import Tensor, normalize_axes
from ._fcommon import (IntPair, _check_float, _check_ndim, _out_size, _pair,  # noqa: F401
                       _reduce, _same_dtype)
from ._activations import (elu, gelu, group_norm, hardswish, layer_norm, mish,  # noqa: F401
                           one_hot, relu6, silu, softplus)
from ._spatial import (adaptive_max_pool2d, conv_transpose2d, dropout2d,  # noqa: F401
                       interpolate, max_pool2d_ext)
from ._losses import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                      cross_entropy, l1_loss, mse_loss, nll_loss, smooth_l1_loss)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution of an (N, C, H, W) input with an (O, C/groups, kH, kW) weight.

    Example:
        >>> import tinygrad_cnn as tg
        >>> sobel = tg.Tensor([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]], dtype="float32")
        >>> conv2d(tg.ones(1, 1, 6, 6), sobel).shape
        (1, 1, 4, 4)
    """
    x, s, p, d, g, shape = _conv2d_geometry(input, weight, bias, stride, padding, dilation,
                                            groups, "conv2d")
    if x.numel() == 0 or weight.numel() == 0:      # empty batch, no channels or filters
        return _empty_conv(x, weight, bias, shape)
    return Conv2d.apply(x, weight, bias, stride=s, padding=p, dilation=d, groups=g)


def conv2d_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
                padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """``relu(conv2d(...))`` as one fused op (one pass less over the output, each way).

    Example:
        >>> import tinygrad_cnn as tg
        >>> conv2d_relu(-tg.ones(1, 1, 3, 3), tg.ones(1, 1, 3, 3)).numpy().ravel()
        array([0.], dtype=float32)
    """
    x, s, p, d, g, shape = _conv2d_geometry(input, weight, bias, stride, padding, dilation,
                                            groups, "conv2d_relu")
    if x.numel() == 0 or weight.numel() == 0:
        return _empty_conv(x, weight, bias, shape).relu()
    return Conv2dReLU.apply(x, weight, bias, stride=s, padding=p, dilation=d, groups=g)


def _empty_conv(x: Tensor, weight: Tensor, bias: Tensor | None,
                shape: tuple[int, int, int, int]) -> Tensor:
    """The output of a convolution over an empty batch, no channels or no filters."""
    out = EmptyResult.apply(x, weight, shape=shape, dtype=x.dtype)
    return out if bias is None else out + bias.reshape(1, shape[1], 1, 1)


def _conv2d_geometry(input: Tensor, weight: Tensor, bias: Tensor | None, stride: IntPair,
                     padding: IntPair | str, dilation: IntPair, groups: int, op: str
                     ) -> tuple[Tensor, tuple[int, int], tuple[int, int], tuple[int, int], int,
                                tuple[int, int, int, int]]:
    """The checked input (padded for ``padding="same"``), stride, padding, dilation, groups
    and output shape of a convolution."""
    _check_float(input, op)
    _check_float(weight, op, "weight")
    _same_dtype(op, input, weight, bias)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D (out, in/groups, kH, kW) weight, got {weight.shape}")
    if isinstance(padding, str):
        padding, input = _string_padding(padding, input, weight, stride, dilation)
    s, p, d = (_pair(stride, "stride", op, 1), _pair(padding, "padding", op, 0),
               _pair(dilation, "dilation", op, 1))
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if c % groups or o % groups:
        raise ValueError(f"{op}: in_channels {c} and out_channels {o} must both be divisible by "
                         f"groups={groups}")
    if cg * groups != c:
        raise ValueError(f"{op}: input has {c} channels but weight {weight.shape} expects "
                         f"{cg * groups} (= {cg} per group x {groups} groups)")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},), got {bias.shape}")
    oh, ow = _out_size(h, kh, s[0], p[0], d[0]), _out_size(w, kw, s[1], p[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: kernel {kh}x{kw} (dilation {d}) is larger than the padded input "
                         f"{h + 2 * p[0]}x{w + 2 * p[1]} of shape {input.shape}")
    return input, s, p, d, int(groups), (n, o, oh, ow)


def _string_padding(padding: str, input: Tensor, weight: Tensor, stride: IntPair,
                    dilation: IntPair) -> tuple[int, Tensor]:
    """``"valid"`` is no padding; ``"same"`` pads ``dilation * (k - 1)`` split as PyTorch does
    (the extra element on the right/bottom), for stride 1 only."""
    if padding == "valid":
        return 0, input
    if padding != "same":
        raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', got "
                         f"{padding!r}")
    if _pair(stride, "stride", "conv2d", 1) != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got {stride!r}")
    d = _pair(dilation, "dilation", "conv2d", 1)
    totals = [d[i] * (weight.shape[2 + i] - 1) for i in range(2)]
    if all(t % 2 == 0 for t in totals):
        return (totals[0] // 2, totals[1] // 2), input
    pads = ((0, 0), (0, 0)) + tuple((t // 2, t - t // 2) for t in totals)
    return 0, input.pad(pads)


def _pool_geometry(input: Tensor, kernel_size: IntPair, stride: IntPair | None,
                   padding: IntPair, op: str) -> tuple[tuple[int, int], ...]:
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    h, w = input.shape[2:]
    if _out_size(h, k[0], s[0], p[0]) < 1 or _out_size(w, k[1], s[1], p[1]) < 1:
        raise ValueError(f"{op}: window {k[0]}x{k[1]} is larger than the padded input "
                         f"{h + 2 * p[0]}x{w + 2 * p[1]} of shape {input.shape}")
    return k, s, p


def _empty_pool(input: Tensor, k: tuple[int, int], s: tuple[int, int],
                p: tuple[int, int]) -> Tensor:
    """The (empty) result of pooling an input without elements."""
    h, w = input.shape[2:]
    shape = input.shape[:2] + (_out_size(h, k[0], s[0], p[0]), _out_size(w, k[1], s[1], p[1]))
    return EmptyResult.apply(input, shape=shape, dtype=input.dtype)


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max pooling; ``stride`` defaults to ``kernel_size``.

    Example:
        >>> import tinygrad_cnn as tg
        >>> max_pool2d(tg.arange(16, dtype="float32").reshape(1, 1, 4, 4), 2).numpy().ravel()
        array([ 5.,  7., 13., 15.], dtype=float32)
    """
    k, s, p = _pool_geometry(input, kernel_size, stride, padding, "max_pool2d")
    d = _pair(dilation, "dilation", "max_pool2d", 1)
    if d != (1, 1) or ceil_mode or return_indices:
        return max_pool2d_ext(input, k, s, p, d, bool(ceil_mode), bool(return_indices))
    if input.numel() == 0:
        return _empty_pool(input, k, s, p)
    return pl.MaxPool2d.apply(input, kernel=k, stride=s, padding=p)


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, count_include_pad: bool = True) -> Tensor:
    """Average pooling; ``stride`` defaults to ``kernel_size``."""
    k, s, p = _pool_geometry(input, kernel_size, stride, padding, "avg_pool2d")
    if input.numel() == 0:
        return _empty_pool(input, k, s, p)
    return pl.AvgPool2d.apply(input, kernel=k, stride=s, padding=p,
                              count_include_pad=bool(count_include_pad))


def adaptive_avg_pool2d(input: Tensor, output_size: IntPair) -> Tensor:
    """Average pooling to a fixed ``output_size`` with PyTorch's window placement."""
    op = "adaptive_avg_pool2d"
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    size = _pair(output_size, "output_size", op, 1)
    if input.numel() == 0:
        return EmptyResult.apply(input, shape=input.shape[:2] + size, dtype=input.dtype)
    return pl.AdaptiveAvgPool2d.apply(input, output_size=size)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` with an (out_features, in_features) weight."""
    op = "linear"
    _check_float(input, op)
    _check_float(weight, op, "weight")
    _same_dtype(op, input, weight, bias)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"{op}: input has {input.shape[-1] if input.ndim else 0} features "
                         f"(shape {input.shape}) but weight {weight.shape} expects "
                         f"{weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{op}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    rows = input.reshape(-1, input.shape[-1]) if input.ndim != 2 else input
    if rows.numel() == 0 or weight.numel() == 0:          # empty batch or no features
        out = EmptyResult.apply(rows, weight, shape=(rows.shape[0], weight.shape[0]),
                                dtype=input.dtype)
        out = out if bias is None else out + bias
    else:
        out = Linear.apply(rows, weight, bias)
    return out.reshape(input.shape[:-1] + (weight.shape[0],)) if input.ndim != 2 else out


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` where positive, else ``negative_slope * input``."""
    _check_float(input, "leaky_relu")
    return ew.LeakyRelu.apply(input, slope=float(negative_slope))


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim: int) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, max-subtracted for stability."""
    _check_float(input, "softmax")
    if input.ndim == 0:                   # dim 0 / -1 of a 0-d tensor: a one-element row
        normalize_axes(dim, 0, "softmax")
        return softmax(input.reshape(1), 0).reshape(())
    (axis,) = normalize_axes(dim, input.ndim, "softmax")
    return ls.Softmax.apply(input, axis=axis)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed without overflow or log(0)."""
    _check_float(input, "log_softmax")
    if input.ndim == 0:                   # dim 0 / -1 of a 0-d tensor: a one-element row
        normalize_axes(dim, 0, "log_softmax")
        return log_softmax(input.reshape(1), 0).reshape(())
    (axis,) = normalize_axes(dim, input.ndim, "log_softmax")
    return ls.LogSoftmax.apply(input, axis=axis)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` in training
    (the mask seeded from the global generator: ``manual_seed`` fixes it).

    Example:
        >>> sorted(set(dropout(Tensor(np.ones(64)), 0.5).numpy().tolist()))
        [0.0, 2.0]
        >>> dropout(Tensor(np.ones(3)), 0.5, training=False).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    _check_float(input, "dropout")
    return Dropout.apply(input, p=float(p), seed=next_seed())


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of an (N, C) or (N, C, H, W) input over all but the channel axis.

    In training the batch statistics normalise and ``running_mean``/``running_var`` (when
    given) are updated in place with ``momentum``, the variance unbiased as in PyTorch.
    """
    op = "batch_norm"
    _check_float(input, op)
    _check_ndim(input, (2, 4), op, "(N, C) or (N, C, H, W)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},) for input {input.shape}, "
                             f"got {t.shape}")
    _same_dtype(op, input, weight, bias, running_mean, running_var)
    w = weight if weight is not None else Tensor(np.ones(c), dtype=input.dtype, device=input.device)
    b = bias if bias is not None else Tensor(np.zeros(c), dtype=input.dtype, device=input.device)
    if training:
        per_channel = input.numel() // c
        if per_channel < 2:
            raise ValueError(f"{op}: training needs more than one value per channel, got input "
                             f"{input.shape}")
        out, mean, var = nm.batch_norm_train(input, w, b, eps=float(eps))
        if running_mean is not None and running_var is not None:
            nm.blend_running(running_mean, mean, momentum)
            nm.blend_running(running_var, var, momentum)
        return out
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: evaluation mode needs running_mean and running_var")
    return nm.BatchNormEval.apply(input, running_mean.detach(), running_var.detach(), w, b,
                                  eps=float(eps))


def pad(input: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` lists (left, right) pairs from the last dimension backwards."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of at most {2 * input.ndim} values, got {pad}")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return input.pad(pairs, value)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim``."""
    return input.flatten(start_dim, end_dim)
