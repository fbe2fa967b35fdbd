"""The work items of the direct convolution (:mod:`.direct`) as Numba parallel loops, with the
GEMMs called from Numba (:mod:`._blas` says why): the same blocks, GEMMs and sums as the
Python-thread path, each thread taking the next block from ``counter[0]``. Tap-major filters
are (taps, rows*cols + 16) buffers (:func:`.direct._tap_major`); ``shared`` is the forward
pass's buffer of all filters for the plan, or an empty one (then each thread has its own).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._blas import gemm, next_item
from .direct_kernels import LANE, sum_pairs, to_oihw, to_taps


@njit(parallel=True, cache=True)
def forward_blocks(w3, shared, cols, starts, n, flat, bias, relu, first, order, blocks, widest,
                   counter, threads):
    """Blocks of filters: each item lays out its filters tap-major, multiplies them with the
    gathered input columns of every tap and sums the products onto ``flat`` (N, O, S)."""
    c, nt = w3.shape[1], w3.shape[2]
    keep = shared.shape[1] > 0
    dt = flat.dtype
    for _ in prange(threads):
        own = np.empty((nt, 0 if keep else widest * c + 16), dt)
        prod = np.empty((widest, cols.shape[1]), dt)
        stage = np.empty((flat.shape[0], LANE, flat.shape[2]), dt)
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            o0, o1 = blocks[i, 0], blocks[i, 1]
            width = o1 - o0
            buf = shared if keep else own
            base = o0 * c if keep else 0
            to_taps(w3, buf, o0, o1, 0, c, base)
            for t in range(nt):
                s0, s1 = starts[t] * n, starts[t + 1] * n
                if s1 > s0:
                    gemm(buf[t, base:base + width * c].reshape((width, c)), cols[:, s0:s1],
                         prod[:width, s0:s1], 0.0)
            sum_pairs(prod, flat, bias, relu, first, order, o0, o1, stage)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def input_blocks(w3, shared, cols, starts, n, flat, zero, first, order, blocks, widest,
                 counter, threads):
    """Blocks of input channels: the transposed tap matrices (from ``shared``, or laid out
    per block) times the gathered output-gradient columns, summed onto ``flat`` (N, C, S)."""
    o, c, nt = w3.shape
    keep = shared.shape[1] > 0
    dt = flat.dtype
    for _ in prange(threads):
        own = np.empty((nt, 0 if keep else o * widest + 16), dt)
        prod = np.empty((widest, cols.shape[1]), dt)
        stage = np.empty((flat.shape[0], LANE, flat.shape[2]), dt)
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            c0, c1 = blocks[i, 0], blocks[i, 1]
            width = c1 - c0
            if not keep:
                to_taps(w3, own, 0, o, c0, c1, 0)
            for t in range(nt):
                s0, s1 = starts[t] * n, starts[t + 1] * n
                if s1 <= s0:
                    continue
                if keep:
                    mat = shared[t, :o * c].reshape((o, c))
                    gemm(mat[:, c0:c1].T, cols[:, s0:s1], prod[:width, s0:s1], 0.0)
                else:
                    mat = own[t, :o * width].reshape((o, width))
                    gemm(mat.T, cols[:, s0:s1], prod[:width, s0:s1], 0.0)
            sum_pairs(prod, flat, zero, False, first, order, c0, c1, stage)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def weight_blocks(cols_g, cols_x, starts, n, dw, blocks, widest, counter, threads):
    """Blocks of filters: per tap, the gathered output gradient's columns times the gathered
    input's, transposed, written back into ``dw`` (O, C, taps)."""
    c, nt = dw.shape[1], dw.shape[2]
    for _ in prange(threads):
        sums = np.empty((nt, widest * c + 16), dw.dtype)
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            o0, o1 = blocks[i, 0], blocks[i, 1]
            width = o1 - o0
            for t in range(nt):
                s0, s1 = starts[t] * n, starts[t + 1] * n
                block = sums[t, :width * c].reshape((width, c))
                if s1 > s0:
                    gemm(cols_g[o0:o1, s0:s1], cols_x[:, s0:s1].T, block, 0.0)
                else:  # a tap that joins no pair (it only ever sees padding)
                    block[:, :] = 0
            to_oihw(sums, dw, o0, o1)
            i = next_item(counter, 0)
