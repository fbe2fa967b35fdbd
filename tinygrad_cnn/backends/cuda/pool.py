"""Max, average and adaptive-average 2-D pooling on the GPU, forward and backward.

Forward passes use one thread per output element. Average-pool backward passes use one thread
per input element that sums the gradient of every window covering it (race-free). Max-pool
backward only knows the ``argmax`` of each window (not its geometry), so one thread per
(sample, channel) plane adds its outputs' gradients into that plane in output order:
race-free and deterministic, with repeated maxima of overlapping windows accumulating.

Geometry tuple ``geo``: ``(H, W, OH, OW, KH, KW, sh, sw, ph, pw)``.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> x = from_numpy(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    >>> out, arg = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    >>> to_numpy(out).tolist(), to_numpy(arg).tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from .._geometry import out_size
from ._common import empty, flat, float32, kernel
from .array import zeros

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward",
           "avg_pool2d_backward", "adaptive_avg_pool2d_forward",
           "adaptive_avg_pool2d_backward"]

Pair = tuple[int, int]
_GEO = "UniTuple(int64, 10)"


@kernel(f"void({{t}}[::1], {{t}}[::1], int64[::1], {_GEO})")
def _max_fwd(x, out, arg, geo):
    i = cuda.grid(1)
    if i < out.size:
        H, W, OH, OW = geo[0], geo[1], geo[2], geo[3]
        plane = i // (OH * OW)
        oh = (i // OW) % OH
        ow = i % OW
        base = plane * H * W
        best = float32(0)
        where = -1
        for a in range(geo[4]):
            ih = oh * geo[6] - geo[8] + a
            if ih < 0 or ih >= H:
                continue
            for b in range(geo[5]):
                iw = ow * geo[7] - geo[9] + b
                if iw < 0 or iw >= W:
                    continue
                v = x[base + ih * W + iw]
                # First maximum wins on ties; a NaN wins over numbers (as in PyTorch).
                if where < 0 or v > best or (v != v and best == best):
                    best = v
                    where = ih * W + iw
        out[i] = best
        arg[i] = where


@kernel("void({t}[::1], int64[::1], {t}[::1], int64, int64)")
def _max_bwd(grad, arg, dx, n_planes, ohw):
    p = cuda.grid(1)
    if p < n_planes:
        hw = dx.size // n_planes
        for j in range(p * ohw, (p + 1) * ohw):
            dx[p * hw + arg[j]] += grad[j]


@cuda.jit(device=True)
def _avg_count(oh, ow, geo, include_pad):
    """Divisor of window (oh, ow): the full kernel, or only the taps inside the input."""
    h0 = oh * geo[6] - geo[8]
    w0 = ow * geo[7] - geo[9]
    if include_pad:
        return geo[4] * geo[5]
    return (min(h0 + geo[4], geo[0]) - max(h0, 0)) * (min(w0 + geo[5], geo[1]) - max(w0, 0))


@kernel(f"void({{t}}[::1], {{t}}[::1], {_GEO}, boolean)")
def _avg_fwd(x, out, geo, include_pad):
    i = cuda.grid(1)
    if i < out.size:
        H, W, OH, OW = geo[0], geo[1], geo[2], geo[3]
        plane = i // (OH * OW)
        oh = (i // OW) % OH
        ow = i % OW
        acc = float32(0)
        for ih in range(max(oh * geo[6] - geo[8], 0), min(oh * geo[6] - geo[8] + geo[4], H)):
            for iw in range(max(ow * geo[7] - geo[9], 0), min(ow * geo[7] - geo[9] + geo[5], W)):
                acc += x[(plane * H + ih) * W + iw]
        out[i] = acc / float32(_avg_count(oh, ow, geo, include_pad))


@kernel(f"void({{t}}[::1], {{t}}[::1], {_GEO}, boolean)")
def _avg_bwd(grad, dx, geo, include_pad):
    i = cuda.grid(1)
    if i < dx.size:
        H, W, OH, OW = geo[0], geo[1], geo[2], geo[3]
        plane = i // (H * W)
        ih = (i // W) % H
        iw = i % W
        # Windows oh with oh*s - p <= ih <= oh*s - p + k - 1.
        oh_lo = max(0, (ih + geo[8] - geo[4] + geo[6]) // geo[6])
        oh_hi = min(OH - 1, (ih + geo[8]) // geo[6])
        ow_lo = max(0, (iw + geo[9] - geo[5] + geo[7]) // geo[7])
        ow_hi = min(OW - 1, (iw + geo[9]) // geo[7])
        acc = float32(0)
        for oh in range(oh_lo, oh_hi + 1):
            for ow in range(ow_lo, ow_hi + 1):
                acc += grad[(plane * OH + oh) * OW + ow] / float32(_avg_count(oh, ow, geo,
                                                                             include_pad))
        dx[i] = acc


@kernel(f"void({{t}}[::1], {{t}}[::1], {_GEO})")
def _adaptive_fwd(x, out, geo):
    i = cuda.grid(1)
    if i < out.size:
        H, W, OH, OW = geo[0], geo[1], geo[2], geo[3]
        plane = i // (OH * OW)
        oh = (i // OW) % OH
        ow = i % OW
        h0 = oh * H // OH
        h1 = ((oh + 1) * H + OH - 1) // OH
        w0 = ow * W // OW
        w1 = ((ow + 1) * W + OW - 1) // OW
        acc = float32(0)
        for ih in range(h0, h1):
            for iw in range(w0, w1):
                acc += x[(plane * H + ih) * W + iw]
        out[i] = acc / float32((h1 - h0) * (w1 - w0))


@kernel(f"void({{t}}[::1], {{t}}[::1], {_GEO})")
def _adaptive_bwd(grad, dx, geo):
    i = cuda.grid(1)
    if i < dx.size:
        H, W, OH, OW = geo[0], geo[1], geo[2], geo[3]
        plane = i // (H * W)
        ih = (i // W) % H
        iw = i % W
        # Windows [floor(o*H/OH), ceil((o+1)*H/OH)) that contain ih.
        oh_lo = ih * OH // H
        oh_hi = min(OH - 1, ((ih + 1) * OH + H - 1) // H - 1)
        ow_lo = iw * OW // W
        ow_hi = min(OW - 1, ((iw + 1) * OW + W - 1) // W - 1)
        acc = float32(0)
        for oh in range(oh_lo, oh_hi + 1):
            hn = ((oh + 1) * H + OH - 1) // OH - oh * H // OH
            for ow in range(ow_lo, ow_hi + 1):
                wn = ((ow + 1) * W + OW - 1) // OW - ow * W // OW
                acc += grad[(plane * OH + oh) * OW + ow] / float32(hn * wn)
        dx[i] = acc


def _geo(x_shape, out_hw, kernel=(1, 1), stride=(1, 1), padding=(0, 0)):
    return (int(x_shape[2]), int(x_shape[3]), int(out_hw[0]), int(out_hw[1]), int(kernel[0]),
            int(kernel[1]), int(stride[0]), int(stride[1]), int(padding[0]), int(padding[1]))


def _pooled_shape(x_shape, kernel, stride, padding):
    return (int(x_shape[0]), int(x_shape[1]),
            out_size(x_shape[2], kernel[0], stride[0], padding[0]),
            out_size(x_shape[3], kernel[1], stride[1], padding[1]))


def max_pool2d_forward(x: Any, kernel: Pair, stride: Pair, padding: Pair) -> tuple[Any, Any]:
    """Return ``(out, argmax)``; ``argmax`` (int64) is the flat ``h * W + w`` of each
    window's first maximum inside its input plane (padding counts as -inf)."""
    shape = _pooled_shape(x.shape, kernel, stride, padding)
    out = empty(shape, x.dtype)
    arg = empty(shape, np.int64)
    _max_fwd.launch(out.size, flat(x), flat(out), flat(arg),
                    _geo(x.shape, shape[2:], kernel, stride, padding))
    return out, arg


def max_pool2d_backward(grad_out: Any, argmax: Any, x_shape: tuple[int, ...]) -> Any:
    """Gradient of max pooling: each output's gradient added at its ``argmax``."""
    dx = zeros(x_shape, grad_out.dtype)
    planes = int(x_shape[0]) * int(x_shape[1])
    ohw = grad_out.shape[2] * grad_out.shape[3]
    if ohw:
        _max_bwd.launch(planes, flat(grad_out), flat(argmax), flat(dx), planes, ohw)
    return dx


def avg_pool2d_forward(x: Any, kernel: Pair, stride: Pair, padding: Pair,
                       count_include_pad: bool) -> Any:
    """Average pooling with zero padding; the divisor counts padded taps when asked."""
    shape = _pooled_shape(x.shape, kernel, stride, padding)
    out = empty(shape, x.dtype)
    _avg_fwd.launch(out.size, flat(x), flat(out), _geo(x.shape, shape[2:], kernel, stride, padding),
                    bool(count_include_pad))
    return out


def avg_pool2d_backward(grad_out: Any, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                        padding: Pair, count_include_pad: bool) -> Any:
    """Gradient of average pooling, of shape ``x_shape``."""
    dx = empty(x_shape, grad_out.dtype)
    _avg_bwd.launch(dx.size, flat(grad_out), flat(dx),
                    _geo(x_shape, grad_out.shape[2:], kernel, stride, padding),
                    bool(count_include_pad))
    return dx


def adaptive_avg_pool2d_forward(x: Any, output_size: Pair) -> Any:
    """PyTorch's adaptive windows: ``[floor(i*H/oh), ceil((i+1)*H/oh))``."""
    shape = (x.shape[0], x.shape[1], int(output_size[0]), int(output_size[1]))
    out = empty(shape, x.dtype)
    _adaptive_fwd.launch(out.size, flat(x), flat(out), _geo(x.shape, shape[2:]))
    return out


def adaptive_avg_pool2d_backward(grad_out: Any, x_shape: tuple[int, ...]) -> Any:
    """Gradient of adaptive average pooling, of shape ``x_shape``."""
    dx = empty(x_shape, grad_out.dtype)
    _adaptive_bwd.launch(dx.size, flat(grad_out), flat(dx), _geo(x_shape, grad_out.shape[2:]))
    return dx
