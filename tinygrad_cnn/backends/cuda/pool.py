"""Max and windowed-average 2-D pooling on the GPU, forward and backward.

The windows are the host tables of :mod:`.._pool_windows` (the CPU backend reads the same
ones), uploaded once per geometry: per axis one int64 array ``start, end, count, first, stop``
(see :meth:`AxisWindows.packed`). Forward passes use one thread per output element. The
windowed-average backward (average and adaptive-average pooling) uses one thread per input
element that sums the gradient of every window covering it (``first <= o < stop``:
race-free). Max-pool backward only knows the ``argmax`` of each window, so one thread per
(sample, channel) plane adds its outputs' gradients into that plane in output order:
race-free and deterministic, with repeated maxima of overlapping windows accumulating.

Plane tuple ``hw``: ``(H, W, OH, OW)``.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> x = from_numpy(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    >>> out, arg = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    >>> to_numpy(out).tolist(), to_numpy(arg).tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda

from .._pool_windows import PoolWindows, pool_windows
from ._common import empty, flat, float32, kernel
from .array import zeros

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward",
           "avg_pool2d_backward"]

Pair = tuple[int, int]
_HW = "UniTuple(int64, 4)"
_TABLES: dict[tuple, tuple[Any, Any]] = {}
_MAX_TABLES = 64


def _device_tables(windows: PoolWindows) -> tuple[Any, Any]:
    """The packed row and column tables of ``windows`` on the device (uploaded once)."""
    tables = _TABLES.get(windows.key)
    if tables is None:
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.clear()
        tables = _TABLES[windows.key] = (cuda.to_device(windows.rows.packed()),
                                         cuda.to_device(windows.cols.packed()))
    return tables


def _hw(windows: PoolWindows) -> tuple[int, int, int, int]:
    return (*windows.in_hw, *windows.out_hw)


@kernel(f"void({{t}}[::1], {{t}}[::1], int64[::1], int64[::1], int64[::1], {_HW})")
def _max_fwd(x, out, arg, rows, cols, hw):
    i = cuda.grid(1)
    if i < out.size:
        H, W, OH, OW = hw[0], hw[1], hw[2], hw[3]
        plane = i // (OH * OW)
        oh = (i // OW) % OH
        ow = i % OW
        base = plane * H * W
        best = float32(-math.inf)   # a window entirely in the padding: -inf, argmax -1
        where = -1
        for ih in range(rows[oh], rows[OH + oh]):
            for iw in range(cols[ow], cols[OW + ow]):
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


@kernel(f"void({{t}}[::1], {{t}}[::1], int64[::1], int64[::1], {_HW})")
def _avg_fwd(x, out, rows, cols, hw):
    i = cuda.grid(1)
    if i < out.size:
        H, W, OH, OW = hw[0], hw[1], hw[2], hw[3]
        plane = i // (OH * OW)
        oh = (i // OW) % OH
        ow = i % OW
        acc = float32(0)
        for ih in range(rows[oh], rows[OH + oh]):
            for iw in range(cols[ow], cols[OW + ow]):
                acc += x[(plane * H + ih) * W + iw]
        div = rows[2 * OH + oh] * cols[2 * OW + ow]
        out[i] = acc / float32(div) if div > 0 else acc


@kernel(f"void({{t}}[::1], {{t}}[::1], int64[::1], int64[::1], {_HW})")
def _avg_bwd(grad, dx, rows, cols, hw):
    i = cuda.grid(1)
    if i < dx.size:
        H, W, OH, OW = hw[0], hw[1], hw[2], hw[3]
        plane = i // (H * W)
        ih = (i // W) % H
        iw = i % W
        acc = float32(0)
        for oh in range(rows[3 * OH + ih], rows[3 * OH + H + ih]):
            for ow in range(cols[3 * OW + iw], cols[3 * OW + W + iw]):
                g = grad[(plane * OH + oh) * OW + ow]
                div = rows[2 * OH + oh] * cols[2 * OW + ow]
                acc += g / float32(div) if div > 0 else g
        dx[i] = acc


def max_pool2d_forward(x: Any, kernel: Pair, stride: Pair, padding: Pair) -> tuple[Any, Any]:
    """Return ``(out, argmax)``; ``argmax`` (int64) is the flat ``h * W + w`` of each
    window's first maximum inside its input plane (padding counts as -inf)."""
    windows = pool_windows(x.shape[2:], kernel, stride, padding)
    out = empty(x.shape[:2] + windows.out_hw, x.dtype)
    arg = empty(out.shape, np.int64)
    _max_fwd.launch(out.size, flat(x), flat(out), flat(arg), *_device_tables(windows),
                    _hw(windows))
    return out, arg


def max_pool2d_backward(grad_out: Any, argmax: Any, x_shape: tuple[int, ...]) -> Any:
    """Gradient of max pooling: each output's gradient added at its ``argmax``."""
    dx = zeros(x_shape, grad_out.dtype)
    planes = int(x_shape[0]) * int(x_shape[1])
    ohw = grad_out.shape[2] * grad_out.shape[3]
    if ohw:
        _max_bwd.launch(planes, flat(grad_out), flat(argmax), flat(dx), planes, ohw)
    return dx


def avg_pool2d_forward(x: Any, windows: PoolWindows) -> Any:
    """Average of ``x`` over each window of ``windows`` (average or adaptive average pooling).

    Example:
        >>> from tinygrad_cnn.backends._pool_windows import adaptive_windows
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
        >>> x = from_numpy(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
        >>> to_numpy(avg_pool2d_forward(x, adaptive_windows((4, 4), (1, 2)))).ravel().tolist()
        [6.5, 8.5]
    """
    out = empty(x.shape[:2] + windows.out_hw, x.dtype)
    _avg_fwd.launch(out.size, flat(x), flat(out), *_device_tables(windows), _hw(windows))
    return out


def avg_pool2d_backward(grad_out: Any, windows: PoolWindows) -> Any:
    """Gradient of the windowed average, over the input plane of ``windows``."""
    dx = empty(grad_out.shape[:2] + windows.in_hw, grad_out.dtype)
    _avg_bwd.launch(dx.size, flat(grad_out), flat(dx), *_device_tables(windows), _hw(windows))
    return dx
