"""Max and windowed-average 2-D pooling on the CPU (Numba, NCHW).

Every kernel ``prange``s over the ``N*C`` planes: a plane owns its output window values in the
forward pass and its input-gradient plane in the backward pass, so scatters never race.
The windows are the host tables of :mod:`.._pool_windows` (shared with the CUDA backend):
max pooling pads with ``-inf`` (a padded cell never wins) and lets a NaN win its window;
average and adaptive-average pooling are one windowed average over their own tables.

Example:
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> out, idx = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    >>> out[0, 0], idx[0, 0]
    (array([[ 5.,  7.],
           [13., 15.]], dtype=float32), array([[ 5,  7],
           [13, 15]]))
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .._pool_windows import PoolWindows, pool_windows

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward",
           "avg_pool2d_backward"]

Pair = tuple[int, int]
Shape = tuple[int, ...]


def _float(a: np.ndarray) -> np.ndarray:
    """C-contiguous float32 or float64 (float64 stays, everything else becomes float32)."""
    dt = np.float64 if a.dtype == np.float64 else np.float32
    return np.ascontiguousarray(a, dtype=dt)


@njit(cache=True, inline="always")
def _window_max(xf, xb, w_, hs, he, ws, we):
    """PyTorch's rule: the first maximum in row-major order, but any NaN wins (the last one)."""
    arg = hs * w_ + ws
    best = xf[uint64(xb + arg)]
    for a in range(hs, he):
        for b in range(ws, we):
            v = xf[uint64(xb + a * w_ + b)]
            if v > best or v != v:
                best = v
                arg = a * w_ + b
    return best, arg


@njit(cache=True, inline="always")
def _max_of_4(v0, v1, v2, v3, w_):
    """Maximum of a 2x2 window (row-major values) and its cell's offset from the top-left one
    (0, 1, ``w_`` or ``w_ + 1``): the first maximum on ties (NaN: see the callers)."""
    best, arg = v0, 0
    if v1 > best:
        best, arg = v1, 1
    if v2 > best:
        best, arg = v2, w_
    if v3 > best:
        best, arg = v3, w_ + 1
    return best, arg


@njit(parallel=True, cache=True)
def _max_fwd(x, out, idx, r0, r1, c0, c1):
    # The NaN test inside the compare loop tripled the time; instead a window whose sum is NaN
    # (a NaN or inf - inf inside) is redone by _window_max, and 2x2 windows are unrolled.
    n_, c_, h_, w_ = x.shape
    oh_, ow_ = out.shape[2], out.shape[3]
    xf, of, jf = x.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for p in prange(n_ * c_):
        xb = p * h_ * w_
        ob = p * oh_ * ow_
        for i in range(oh_):
            hs, he = r0[i], r1[i]
            for j in range(ow_):
                ws, we = c0[j], c1[j]
                o = uint64(ob + i * ow_ + j)
                if hs >= he or ws >= we:  # window entirely in the padding
                    of[o] = -np.inf
                    jf[o] = -1
                    continue
                total = x.dtype.type(0)
                if he - hs == 2 and we - ws == 2:
                    q = xb + hs * w_ + ws
                    v0, v1 = xf[uint64(q)], xf[uint64(q + 1)]
                    v2, v3 = xf[uint64(q + w_)], xf[uint64(q + w_ + 1)]
                    best, arg = _max_of_4(v0, v1, v2, v3, w_)
                    arg += hs * w_ + ws
                    total = v0 + v1 + v2 + v3
                else:
                    arg = hs * w_ + ws
                    best = xf[uint64(xb + arg)]
                    for a in range(hs, he):
                        for b in range(ws, we):
                            v = xf[uint64(xb + a * w_ + b)]
                            total += v
                            if v > best:  # strictly greater: the first maximum wins ties
                                best = v
                                arg = a * w_ + b
                if total != total:
                    best, arg = _window_max(xf, xb, w_, hs, he, ws, we)
                of[o] = best
                jf[o] = arg


@njit(parallel=True, cache=True)
def _max_2x2_fwd(x, out, idx):
    """The windows of a 2x2, stride-2, unpadded pooling, in (planes, H, W) arrays: same rule
    as _max_fwd, up to 5x faster (no window tables: 32x64x32x32 1.79 -> 0.32 ms)."""
    w_ = x.shape[2]
    for p in prange(x.shape[0]):
        for i in range(out.shape[1]):
            r = 2 * i
            for j in range(out.shape[2]):
                c = 2 * j
                v0, v1, v2, v3 = x[p, r, c], x[p, r, c + 1], x[p, r + 1, c], x[p, r + 1, c + 1]
                best, arg = _max_of_4(v0, v1, v2, v3, w_)
                arg += r * w_ + c
                total = v0 + v1 + v2 + v3
                # a NaN inside (or inf - inf): _window_max's rule, written out here (calling
                # it, even in this rare branch, made every window 2-3x slower)
                if total != total:
                    best, arg = v0, r * w_ + c
                    for a in range(r, r + 2):
                        for b in range(c, c + 2):
                            if x[p, a, b] > best or x[p, a, b] != x[p, a, b]:
                                best, arg = x[p, a, b], a * w_ + b
                out[p, i, j] = best
                idx[p, i, j] = arg


@njit(parallel=True, cache=True)
def _max_bwd(grad, idx, dx):
    """In (planes, positions) arrays; flat indexing (a view per plane cost ~40 ns each)."""
    zero = dx.dtype.type(0)
    for p in prange(dx.shape[0]):
        for t in range(dx.shape[1]):
            dx[p, t] = zero
        for k in range(grad.shape[1]):
            a = idx[p, k]
            if a >= 0:
                dx[p, a] += grad[p, k]


def max_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair,
                       padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of ``x`` (N, C, H, W); returns ``(out, argmax)``.

    ``argmax`` (int64, shape of ``out``) is the flat index ``h * W + w`` of the winning input
    inside its plane, the first one on ties; a NaN wins its window (the last NaN, as PyTorch).
    """
    x = _float(x)
    n, c, h, w = x.shape
    rows, cols = pool_windows((h, w), kernel, stride, padding)
    out = np.empty((n, c, rows.out, cols.out), x.dtype)
    idx = np.empty(out.shape, np.int64)
    if tuple(kernel) == tuple(stride) == (2, 2) and tuple(padding) == (0, 0):
        planes = (n * c, rows.out, cols.out)
        _max_2x2_fwd(x.reshape(n * c, h, w), out.reshape(planes), idx.reshape(planes))
    else:
        _max_fwd(x, out, idx, rows.start, rows.end, cols.start, cols.end)
    return out, idx


def max_pool2d_backward(grad_out: np.ndarray, argmax: np.ndarray, x_shape: Shape) -> np.ndarray:
    """Route each output gradient to the input cell that won its window (summing overlaps)."""
    grad = _float(grad_out)
    idx = np.ascontiguousarray(argmax, dtype=np.int64)
    dx = np.empty(tuple(int(v) for v in x_shape), grad.dtype)
    planes, cells = dx.shape[0] * dx.shape[1], grad.shape[2] * grad.shape[3]
    _max_bwd(grad.reshape(planes, cells), idx.reshape(planes, cells),
             dx.reshape(planes, dx.shape[2] * dx.shape[3]))
    return dx


# Average and adaptive average pooling: an average over separable windows, given per output
# row (hs, he, fh) and column (ws, we, fw); the divisor is fh * fw.
@njit(parallel=True, cache=True)
def _window_avg_fwd(x, out, hs, he, fh, ws, we, fw):
    n_, c_ = x.shape[0], x.shape[1]
    oh_, ow_ = out.shape[2], out.shape[3]
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        plane = x[n, c]
        for i in range(oh_):
            for j in range(ow_):
                acc = x.dtype.type(0)
                for a in range(hs[i], he[i]):
                    for b in range(ws[j], we[j]):
                        acc += plane[a, b]
                div = fh[i] * fw[j]  # computed in the data dtype, as PyTorch does
                out[n, c, i, j] = acc / x.dtype.type(div) if div > 0 else acc


@njit(parallel=True, cache=True)
def _window_avg_bwd(grad, dx, hs, he, fh, ws, we, fw):
    n_, c_, h_, w_ = dx.shape
    oh_, ow_ = grad.shape[2], grad.shape[3]
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        plane = dx[n, c]
        for a in range(h_):
            for b in range(w_):
                plane[a, b] = 0
        for i in range(oh_):
            for j in range(ow_):
                div = fh[i] * fw[j]
                g = grad[n, c, i, j]
                if div > 0:
                    g = g / grad.dtype.type(div)
                for a in range(hs[i], he[i]):
                    for b in range(ws[j], we[j]):
                        plane[a, b] += g


def avg_pool2d_forward(x: np.ndarray, windows: PoolWindows) -> np.ndarray:
    """Average of ``x`` (N, C, H, W) over each window of ``windows`` (average pooling with
    zero padding, or adaptive average pooling), divided by the window's divisor.

    Example:
        >>> from tinygrad_cnn.backends._pool_windows import adaptive_windows
        >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
        >>> avg_pool2d_forward(x, adaptive_windows((4, 4), (1, 2))).ravel().tolist()
        [6.5, 8.5]
    """
    x = _float(x)
    rows, cols = windows
    out = np.empty(x.shape[:2] + windows.out_hw, x.dtype)
    _window_avg_fwd(x, out, rows.start, rows.end, rows.count, cols.start, cols.end, cols.count)
    return out


def avg_pool2d_backward(grad_out: np.ndarray, windows: PoolWindows) -> np.ndarray:
    """Spread each output gradient evenly (same divisor as the forward) over its window;
    the result has the input plane of ``windows`` (overlaps add up)."""
    grad = _float(grad_out)
    rows, cols = windows
    dx = np.empty(grad.shape[:2] + windows.in_hw, grad.dtype)
    _window_avg_bwd(grad, dx, rows.start, rows.end, rows.count, cols.start, cols.end, cols.count)
    return dx
