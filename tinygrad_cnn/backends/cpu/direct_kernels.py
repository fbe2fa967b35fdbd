"""The Numba kernels of the direct convolution (:mod:`.direct`): gathering input columns,
summing per-tap products onto their positions, and the tap-major re-layout of filters.

Example:
    >>> import numpy as np
    >>> w = np.arange(4, dtype=np.float32).reshape(1, 2, 2); taps = np.empty((2, 2), np.float32)
    >>> to_taps(w, taps, 0, 1, 0, 2, 0); taps  # taps[t, c] = w[0, c, t]
    array([[0., 2.],
           [1., 3.]], dtype=float32)
"""
from __future__ import annotations

from numba import njit

__all__ = ["LANE", "gather", "sum_pairs", "to_taps", "to_oihw"]

# Channels per pass of the gather and sum kernels: samples are LANE * CH * S values apart in
# memory, so a loop over the samples of one channel hits one cache set (4-8x slower at 2x2
# with 512 channels); over a few channels at once its writes stay within a few KB.
LANE = 8


@njit(nogil=True, cache=True)
def gather(src, cols, pos):
    """``cols[ch, j*N + n] = src[n, ch, pos[j]]`` for every channel of ``src`` (N, CH, S)."""
    n_, ch_ = src.shape[0], src.shape[1]
    for lane in range(0, ch_, LANE):
        for n in range(n_):
            for ch in range(lane, min(lane + LANE, ch_)):
                for j in range(pos.shape[0]):
                    cols[ch, j * n_ + n] = src[n, ch, pos[j]]


@njit(nogil=True, cache=True)
def sum_pairs(prod, out, bias, relu, first, order, ch0, ch1, stage):
    """``out[n, ch, s] = bias[ch] + sum of prod[ch - ch0, j*N + n]`` over the pairs ``j`` of
    position ``s`` in order (then ``max(., 0)`` if ``relu``; NaN stays NaN), for the channels
    ``ch0 <= ch < ch1`` of ``out`` (N, CH, S); positions without pairs get ``bias[ch]``.
    ``stage``: (N, LANE, S) scratch."""
    n_, s_ = out.shape[0], out.shape[2]
    zero = out.dtype.type(0)
    for lane in range(ch0, ch1, LANE):
        width = min(lane + LANE, ch1) - lane
        for ch in range(lane, lane + width):
            row, b = ch - ch0, bias[ch]
            for s in range(s_):
                for n in range(n_):
                    stage[n, ch - lane, s] = b
                for k in range(first[s], first[s + 1]):
                    base = order[k] * n_
                    for n in range(n_):
                        stage[n, ch - lane, s] += prod[row, base + n]
                if relu:
                    for n in range(n_):
                        v = stage[n, ch - lane, s]
                        stage[n, ch - lane, s] = zero if v < zero else v
        for n in range(n_):
            for i in range(width):
                for s in range(s_):
                    out[n, lane + i, s] = stage[n, i, s]


@njit(nogil=True, cache=True)
def to_taps(w, taps, o0, o1, c0, c1, base):
    """``taps[t, base + (o - o0)*(c1 - c0) + c - c0] = w[o, c, t]`` for ``o0 <= o < o1``,
    ``c0 <= c < c1`` (w: (O, C, T); ``taps``: tap-major rows, see :func:`.direct._tap_major`):
    ``w`` read once, in order (a copy from numpy's transposed view reads the block once per
    tap: measured 1.2x slower from a cold cache)."""
    width = c1 - c0
    for o in range(o0, o1):
        row = base + (o - o0) * width - c0
        for c in range(c0, c1):
            for t in range(w.shape[2]):
                taps[t, row + c] = w[o, c, t]


@njit(nogil=True, cache=True)
def to_oihw(taps, dw, o0, o1):
    """``dw[o, c, t] = taps[t, (o - o0)*C + c]`` for the filters ``o0 <= o < o1`` (dw: (O, C,
    T))."""
    c_ = dw.shape[1]
    for o in range(o0, o1):
        for c in range(c_):
            for t in range(dw.shape[2]):
                dw[o, c, t] = taps[t, (o - o0) * c_ + c]
