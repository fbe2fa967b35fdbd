"""Spatial functions of :mod:`tinygrad_cnn.nn.functional`: transposed convolution, max pooling
with dilation / ceil_mode / indices, adaptive max pooling, ``interpolate`` and ``dropout2d``.

Example:
    >>> import tinygrad_cnn as tg
    >>> interpolate(tg.ones(1, 1, 2, 2), scale_factor=2).shape
    (1, 1, 4, 4)
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..backends._geometry import out_size
from ..backends._pool_windows import adaptive_axis
from ..creation import arange, zeros
from ..functions import stack
from ..ops.conv_transpose import ConvTranspose2d
from ..ops.dropout import Dropout
from ..ops.pool import MaxPool2d
from ..ops.math import EmptyResult
from ..random import next_seed
from ..tensor import Tensor
from ._fcommon import IntPair, _check_float, _check_ndim, _pair, _same_dtype

__all__ = ["conv_transpose2d", "max_pool2d_ext", "adaptive_max_pool2d", "interpolate",
           "dropout2d"]


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> Tensor:
    """Transposed 2-D convolution with a (C_in, C_out/groups, kH, kW) weight."""
    op = "conv_transpose2d"
    _check_float(input, op)
    _check_float(weight, op, "weight")
    _same_dtype(op, input, weight, bias)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    if weight.ndim != 4 or weight.shape[0] != input.shape[1]:
        raise ValueError(f"{op}: weight must be 4-D (in_channels={input.shape[1]}, "
                         f"out/groups, kH, kW), got {weight.shape}")
    s, p = _pair(stride, "stride", op, 1), _pair(padding, "padding", op, 0)
    op_, d = _pair(output_padding, "output_padding", op, 0), _pair(dilation, "dilation", op, 1)
    if not isinstance(groups, (int, np.integer)) or groups < 1 or input.shape[1] % groups:
        raise ValueError(f"{op}: groups={groups!r} must divide in_channels {input.shape[1]}")
    if op_[0] >= max(s[0], d[0]) or op_[1] >= max(s[1], d[1]):
        raise ValueError(f"{op}: output_padding {op_} must be smaller than stride {s} or "
                         f"dilation {d}")
    n, _, h, w = input.shape
    out_c = weight.shape[1] * groups
    if bias is not None and bias.shape != (out_c,):
        raise ValueError(f"{op}: bias must have shape ({out_c},), got {bias.shape}")
    oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (weight.shape[2] - 1) + op_[0] + 1
    ow = (w - 1) * s[1] - 2 * p[1] + d[1] * (weight.shape[3] - 1) + op_[1] + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: padding {p} leaves no output for input {input.shape}")
    if input.numel() == 0 or weight.numel() == 0:     # empty batch, no channels or filters
        out = EmptyResult.apply(input, weight, shape=(n, out_c, oh, ow), dtype=input.dtype)
        return out if bias is None else out + bias.reshape(1, out_c, 1, 1)
    return ConvTranspose2d.apply(input, weight, bias, out_shape=(n, out_c, oh, ow), stride=s,
                                 padding=p, dilation=d, groups=int(groups))


def max_pool2d_ext(input: Tensor, k: tuple[int, int], s: tuple[int, int], p: tuple[int, int],
                   d: tuple[int, int], ceil_mode: bool, return_indices: bool) -> Any:
    """Max pooling with PyTorch's ``dilation``, ``ceil_mode`` and ``return_indices``; the
    plain case runs the pooling kernel, the rest gathers the dilated window taps."""
    n, c, h, w = input.shape
    oh, ow = out_size(h, k[0], s[0], p[0], d[0], ceil_mode), \
        out_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise ValueError(f"max_pool2d: the window does not fit input {input.shape}")
    if input.numel() == 0:                            # empty batch or no channels
        out = EmptyResult.apply(input, shape=(n, c, oh, ow), dtype=input.dtype)
        return (out, zeros(n, c, oh, ow, dtype=np.int64, device=input.device)) \
            if return_indices else out
    if d == (1, 1) and not ceil_mode:
        if not return_indices:
            return MaxPool2d.apply(input, kernel=k, stride=s, padding=p)
        argmax: list[Any] = []
        out = MaxPool2d.apply(input, kernel=k, stride=s, padding=p, indices=argmax)
        return out, Tensor._wrap(argmax[0], input.device)
    need_h = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1
    padded = input.pad(((0, 0), (0, 0), (p[0], max(need_h - h - p[0], 0)),
                        (p[1], max(need_w - w - p[1], 0))), value=-math.inf)
    taps, rows, cols = [], [], []
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            taps.append(padded[:, :, r0:r0 + (oh - 1) * s[0] + 1:s[0],
                               c0:c0 + (ow - 1) * s[1] + 1:s[1]])
            rows.append(r0)
            cols.append(c0)
    values, which = stack(taps, 4).max(4)
    if not return_indices:
        return values
    # tap t is window row t // kW (input row i * s + (t // kW) * d - p), column t % kW
    dev = input.device
    hh = arange(oh, device=dev).reshape(oh, 1) * s[0] + (which // k[1]) * d[0] - p[0]
    ww = arange(ow, device=dev) * s[1] + (which % k[1]) * d[1] - p[1]
    return values, hh * w + ww


def adaptive_max_pool2d(input: Tensor, output_size: IntPair, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows (start ``floor(i*H/o)``, end ``ceil((i+1)*H/o)``);
    the gradient goes to each window's maximum."""
    op = "adaptive_max_pool2d"
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    oh, ow = _pair(output_size, "output_size", op, 1)
    n, c, h, w = input.shape
    if h == 0 or w == 0:
        raise ValueError(f"{op}: input {input.shape} has an empty plane")
    rows, cols = adaptive_axis(h, oh), adaptive_axis(w, ow)
    cells, index = [], []
    for i in range(oh):
        h0, h1 = int(rows.start[i]), int(rows.end[i])
        for j in range(ow):
            w0, w1 = int(cols.start[j]), int(cols.end[j])
            vals, idx = input[:, :, h0:h1, w0:w1].reshape(n, c, (h1 - h0) * (w1 - w0)).max(2)
            cells.append(vals)
            if return_indices:           # window position -> flat index in the plane
                index.append((idx // (w1 - w0) + h0) * w + idx % (w1 - w0) + w0)
    out = stack(cells, 2).reshape(n, c, oh, ow)
    if not return_indices:
        return out
    return out, stack(index, 2).reshape(n, c, oh, ow)


def _source_index(out_size: int, in_size: int, scale: float | None, mode: str,
                  align_corners: bool, device: str) -> Any:
    """PyTorch's source rows (or columns) of each output one, computed in float64 on
    ``device``: int64 indices (nearest), or ``(i0, i1, weight of i1)`` (bilinear). Every
    source position is >= 0, so truncating to int64 is the floor."""
    ratio = (1.0 / scale) if scale else in_size / out_size
    dst = arange(out_size, dtype=np.float64, device=device)
    if mode == "nearest":
        return (dst * ratio).long().clamp(max=in_size - 1)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else dst * 0
    else:
        src = ((dst + 0.5) * ratio - 0.5).clamp(min=0.0)
    i0 = src.long().clamp(max=in_size - 1)
    return i0, (i0 + 1).clamp(max=in_size - 1), src - i0.double()


def _take(x: Tensor, axis: int, index: Tensor) -> Tensor:
    """``x`` indexed by the int64 vector ``index`` along ``axis`` (on the device, with the
    row take's deterministic backward)."""
    order = (axis,) + tuple(a for a in range(x.ndim) if a != axis)
    back = tuple(int(i) for i in np.argsort(order))
    return x.permute(*order)[index].permute(*back)


def interpolate(input: Tensor, size: IntPair | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None) -> Tensor:
    """Resize the H, W of an (N, C, H, W) input: ``nearest`` or ``bilinear`` (PyTorch's
    source-index rules, ``align_corners`` for bilinear)."""
    op = "interpolate"
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: mode must be 'nearest' or 'bilinear', got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to mode='bilinear'")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    h, w = input.shape[2:]
    if size is not None:
        oh, ow = _pair(size, "size", op, 1)
        scales: tuple[float | None, float | None] = (None, None)
    else:
        sf = (scale_factor, scale_factor) if isinstance(scale_factor, (int, float)) else \
            tuple(scale_factor)
        if len(sf) != 2 or any(v <= 0 for v in sf):
            raise ValueError(f"{op}: scale_factor must be positive (one or two values), got "
                             f"{scale_factor!r}")
        oh, ow = int(math.floor(h * sf[0])), int(math.floor(w * sf[1]))
        scales = (float(sf[0]), float(sf[1]))
    dev = input.device
    if mode == "nearest":
        rows = _source_index(oh, h, scales[0], mode, False, dev)
        cols = _source_index(ow, w, scales[1], mode, False, dev)
        return _take(_take(input, 2, rows), 3, cols)
    ac = bool(align_corners)
    r0, r1, lr = _source_index(oh, h, None if ac else scales[0], mode, ac, dev)
    c0, c1, lc = _source_index(ow, w, None if ac else scales[1], mode, ac, dev)
    wr, wc = lr.to(dtype=input.dtype).reshape(oh, 1), lc.to(dtype=input.dtype)
    top = _take(input, 2, r0) * (1 - wr) + _take(input, 2, r1) * wr
    return _take(top, 3, c0) * (1 - wc) + _take(top, 3, c1) * wc


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels of an (N, C, H, W) input with probability ``p`` (scaling the rest)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    _check_float(input, "dropout2d")
    _check_ndim(input, (3, 4), "dropout2d", "(N, C, H, W) or (C, H, W)")
    return Dropout.apply(input, p=float(p), seed=next_seed(), mask_shape=input.shape[:-2] + (1, 1))
