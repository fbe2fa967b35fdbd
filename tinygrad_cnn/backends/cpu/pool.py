"""Max, average and adaptive-average 2-D pooling on the CPU (Numba, NCHW).

Every kernel ``prange``s over the ``N*C`` planes: a plane owns its output window values in the
forward pass and its input-gradient plane in the backward pass, so scatters never race.
Windows follow PyTorch: ``start = o*stride - pad`` clipped to the image, max pooling pads with
``-inf`` (a padded cell never wins) and lets a NaN win its window, average pooling pads with
zeros.

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

from .._geometry import out_size

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]

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


@njit(parallel=True, cache=True)
def _max_fwd(x, out, idx, kh, kw, sh, sw, ph, pw):
    # The NaN test inside the compare loop tripled the time; instead a window whose sum is NaN
    # (a NaN or inf - inf inside) is redone by _window_max, and 2x2 windows are unrolled.
    n_, c_, h_, w_ = x.shape
    oh_, ow_ = out.shape[2], out.shape[3]
    xf, of, jf = x.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for p in prange(n_ * c_):
        xb = p * h_ * w_
        ob = p * oh_ * ow_
        for i in range(oh_):
            h0 = i * sh - ph
            hs, he = max(h0, 0), min(h0 + kh, h_)
            for j in range(ow_):
                w0 = j * sw - pw
                ws, we = max(w0, 0), min(w0 + kw, w_)
                o = uint64(ob + i * ow_ + j)
                if hs >= he or ws >= we:  # window entirely in the padding
                    of[o] = -np.inf
                    jf[o] = -1
                    continue
                total = x.dtype.type(0)
                if kh == 2 and kw == 2 and he - hs == 2 and we - ws == 2:
                    q = xb + hs * w_ + ws
                    v0, v1 = xf[uint64(q)], xf[uint64(q + 1)]
                    v2, v3 = xf[uint64(q + w_)], xf[uint64(q + w_ + 1)]
                    best, arg = v0, 0
                    if v1 > best:
                        best, arg = v1, 1
                    if v2 > best:
                        best, arg = v2, w_
                    if v3 > best:
                        best, arg = v3, w_ + 1
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
def _max_bwd(grad, idx, dx):
    n_, c_, oh_, ow_ = grad.shape
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        plane = dx[n, c].reshape(-1)
        for t in range(plane.size):
            plane[t] = 0
        for i in range(oh_):
            for j in range(ow_):
                k = idx[n, c, i, j]
                if k >= 0:
                    plane[k] += grad[n, c, i, j]


def max_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair,
                       padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of ``x`` (N, C, H, W); returns ``(out, argmax)``.

    ``argmax`` (int64, shape of ``out``) is the flat index ``h * W + w`` of the winning input
    inside its plane, the first one on ties; a NaN wins its window (the last NaN, as PyTorch).
    """
    x = _float(x)
    n, c, h, w = x.shape
    kh, kw, sh, sw, ph, pw = (int(v) for v in (*kernel, *stride, *padding))
    shape = (n, c, out_size(h, kh, sh, ph), out_size(w, kw, sw, pw))
    out = np.empty(shape, x.dtype)
    idx = np.empty(shape, np.int64)
    _max_fwd(x, out, idx, kh, kw, sh, sw, ph, pw)
    return out, idx


def max_pool2d_backward(grad_out: np.ndarray, argmax: np.ndarray, x_shape: Shape) -> np.ndarray:
    """Route each output gradient to the input cell that won its window (summing overlaps)."""
    grad = _float(grad_out)
    idx = np.ascontiguousarray(argmax, dtype=np.int64)
    dx = np.empty(tuple(int(v) for v in x_shape), grad.dtype)
    _max_bwd(grad, idx, dx)
    return dx


def _avg_windows(out_size: int, s: int, p: int, k: int, size: int,
                 include_pad: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clipped ``[start, end)`` of every window along one axis and its divisor factor."""
    start = np.arange(out_size, dtype=np.int64) * s - p
    end = np.minimum(start + k, size + p)  # PyTorch clips the window to the padded image first
    padded = end - start
    start, end = np.maximum(start, 0), np.minimum(end, size)
    return start, end, padded if include_pad else end - start


def _adaptive_windows(out_size: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows ``[floor(i*size/out), ceil((i+1)*size/out))`` and their sizes."""
    i = np.arange(out_size, dtype=np.int64)
    start = (i * size) // out_size
    end = ((i + 1) * size + out_size - 1) // out_size
    return start, end, end - start


# Average and adaptive average pooling share these kernels: both average over separable
# windows, given per output row (hs, he, fh) and column (ws, we, fw); the divisor is fh * fw.
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


def avg_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                       count_include_pad: bool) -> np.ndarray:
    """Average pooling of ``x`` (N, C, H, W); padded zeros count in the divisor when
    ``count_include_pad`` (PyTorch's default), else only the cells inside the image."""
    x = _float(x)
    n, c, h, w = x.shape
    kh, kw, sh, sw, ph, pw = (int(v) for v in (*kernel, *stride, *padding))
    oh, ow = out_size(h, kh, sh, ph), out_size(w, kw, sw, pw)
    out = np.empty((n, c, oh, ow), x.dtype)
    _window_avg_fwd(x, out, *_avg_windows(oh, sh, ph, kh, h, bool(count_include_pad)),
                    *_avg_windows(ow, sw, pw, kw, w, bool(count_include_pad)))
    return out


def avg_pool2d_backward(grad_out: np.ndarray, x_shape: Shape, kernel: Pair, stride: Pair,
                        padding: Pair, count_include_pad: bool) -> np.ndarray:
    """Spread each output gradient evenly (same divisor as the forward) over its window."""
    grad = _float(grad_out)
    kh, kw, sh, sw, ph, pw = (int(v) for v in (*kernel, *stride, *padding))
    dx = np.empty(tuple(int(v) for v in x_shape), grad.dtype)
    h, w = dx.shape[2], dx.shape[3]
    _window_avg_bwd(grad, dx, *_avg_windows(grad.shape[2], sh, ph, kh, h, bool(count_include_pad)),
                    *_avg_windows(grad.shape[3], sw, pw, kw, w, bool(count_include_pad)))
    return dx


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """Average ``x`` (N, C, H, W) over PyTorch's adaptive windows to (N, C, *output_size)."""
    x = _float(x)
    n, c, h, w = x.shape
    oh, ow = int(output_size[0]), int(output_size[1])
    out = np.empty((n, c, oh, ow), x.dtype)
    _window_avg_fwd(x, out, *_adaptive_windows(oh, h), *_adaptive_windows(ow, w))
    return out


def adaptive_avg_pool2d_backward(grad_out: np.ndarray, x_shape: Shape) -> np.ndarray:
    """Spread each output gradient evenly over its adaptive window (overlaps add up)."""
    grad = _float(grad_out)
    dx = np.empty(tuple(int(v) for v in x_shape), grad.dtype)
    _window_avg_bwd(grad, dx, *_adaptive_windows(grad.shape[2], dx.shape[2]),
                    *_adaptive_windows(grad.shape[3], dx.shape[3]))
    return dx
