"""Numba im2col / col2im kernels for one work item of the CPU convolution.

A work item is ``m`` samples from ``n0`` and the output rows ``[r0, r1)``. Its column matrix
has one row per ``(c, kh, kw)`` (the OIHW weight's ``I, H, W`` order, so channel groups are
consecutive row blocks) and one column per (sample, output position in the band); entry
``(row, s, oh, ow)`` sits at ``row*row_stride + s*sample_stride + (oh - r0)*OW + ow`` of a
flat buffer and holds the input pixel kernel tap ``(kh, kw)`` of channel ``c`` reads for output
``(oh, ow)`` of sample ``n0 + s`` (zero in the padding). The callers use ``row_stride =
m*sample_stride`` and ``sample_stride = (r1 - r0)*OW``: a (rows, m*band) matrix for one GEMM.

The kernels are serial and release the GIL (``nogil``): parallelism comes from several Python
threads working on different items (see :mod:`._threads`). Indices are unsigned so Numba skips
negative-index wraparound and LLVM vectorises the row copies (measured 2-3x faster than signed
indices or slice assignment). Geometry arguments are Python ints and arrays C-contiguous, so
each dtype compiles once.
"""
from __future__ import annotations

import numpy as np
from numba import njit, uint64


@njit(cache=True, inline="always")
def _tap_range(k: int, dil: int, pad: int, stride: int, size: int, lo_out: int, hi_out: int):
    """Offset ``off`` and the outputs ``o`` in ``[lo, hi)`` (within ``[lo_out, hi_out)``) whose
    input index ``o*stride + off`` lies inside ``[0, size)``."""
    off = k * dil - pad
    lo = 0 if off >= 0 else (-off + stride - 1) // stride
    hi = (size - off + stride - 1) // stride  # first o with o*stride + off >= size
    lo = min(max(lo, lo_out), hi_out)
    hi = min(max(hi, lo), hi_out)
    return off, lo, hi


@njit(cache=True, inline="always")
def _zero(a: np.ndarray, start: int, stop: int) -> None:
    for i in range(uint64(start), uint64(stop)):
        a[i] = 0


@njit(nogil=True, cache=True)
def im2col(x: np.ndarray, cols: np.ndarray, n0: int, m: int, r0: int, r1: int,
           sample_stride: int, row_stride: int, kh_: int, kw_: int, sh: int, sw: int, ph: int,
           pw: int, dh: int, dw: int, ow_: int) -> None:
    """Fill the flat buffer ``cols`` for samples ``[n0, n0+m)`` and output rows ``[r0, r1)``."""
    c_, h_, w_ = x.shape[1], x.shape[2], x.shape[3]
    plane = h_ * w_
    xf = x.reshape(-1)
    for s in range(m):
        for c in range(c_):
            xb = ((n0 + s) * c_ + c) * plane
            for ki in range(kh_):
                offh, lo_h, hi_h = _tap_range(ki, dh, ph, sh, h_, r0, r1)
                for kj in range(kw_):
                    offw, lo_w, hi_w = _tap_range(kj, dw, pw, sw, w_, 0, ow_)
                    row = (c * kh_ + ki) * kw_ + kj
                    rb = row * row_stride + s * sample_stride - r0 * ow_  # + oh*OW: row oh
                    _zero(cols, rb + r0 * ow_, rb + lo_h * ow_)
                    _zero(cols, rb + hi_h * ow_, rb + r1 * ow_)
                    for oi in range(lo_h, hi_h):
                        d = rb + oi * ow_
                        src = xb + (oi * sh + offh) * w_ + offw
                        _zero(cols, d, d + lo_w)
                        _zero(cols, d + hi_w, d + ow_)
                        if sw == 1:  # contiguous source: the vectorised common case
                            dst = uint64(d + lo_w)
                            s0 = uint64(src + lo_w)
                            for j in range(uint64(hi_w - lo_w)):
                                cols[dst + j] = xf[s0 + j]
                        else:
                            for oj in range(lo_w, hi_w):
                                cols[uint64(d + oj)] = xf[uint64(src + oj * sw)]


@njit(nogil=True, cache=True)
def col2im(cols: np.ndarray, dx: np.ndarray, n0: int, m: int, r0: int, r1: int,
           sample_stride: int, row_stride: int, kh_: int, kw_: int, sh: int, sw: int, ph: int,
           pw: int, dh: int, dw: int, ow_: int) -> None:
    """Add every ``cols`` entry of the item onto the pixel of ``dx`` (N, C, H, W) it came from."""
    c_, h_, w_ = dx.shape[1], dx.shape[2], dx.shape[3]
    plane = h_ * w_
    xf = dx.reshape(-1)
    for s in range(m):
        for c in range(c_):
            xb = ((n0 + s) * c_ + c) * plane
            for ki in range(kh_):
                offh, lo_h, hi_h = _tap_range(ki, dh, ph, sh, h_, r0, r1)
                for kj in range(kw_):
                    offw, lo_w, hi_w = _tap_range(kj, dw, pw, sw, w_, 0, ow_)
                    row = (c * kh_ + ki) * kw_ + kj
                    rb = row * row_stride + s * sample_stride - r0 * ow_
                    for oi in range(lo_h, hi_h):
                        d = rb + oi * ow_
                        dst = xb + (oi * sh + offh) * w_ + offw
                        if sw == 1:
                            t = uint64(dst + lo_w)
                            s0 = uint64(d + lo_w)
                            for j in range(uint64(hi_w - lo_w)):
                                xf[t + j] += cols[s0 + j]
                        else:
                            for oj in range(lo_w, hi_w):
                                xf[uint64(dst + oj * sw)] += cols[uint64(d + oj)]
