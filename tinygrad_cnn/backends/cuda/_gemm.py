"""One shared-memory tiled GEMM kernel behind matmul and the three convolution passes.

``C[g][m, n] = sum_k A[g][m, k] * B[g][k, n]``, where ``mode`` says how an element of A or B
is read (a plain row-major matrix, a convolution weight, or an im2col element computed on
the fly: implicit GEMM, no im2col buffer) and how a C element is stored. The mode is the same
for a whole launch, so the switch costs no divergence, and only the tile loads and final
stores go through it, not the inner multiply-add loop.

Tiling: a block of ``TILE x TILE`` threads computes a ``BM x BM`` tile of C (``BM = TILE *
R``), each thread an ``R x R`` register tile (rows ``ty + i*TILE``, columns ``tx + j*TILE``);
A and B pass through shared memory ``TILE`` values of k at a time. Each C element is written
by exactly one thread (no races); a K range split over ``splits`` blocks writes partial sums
into separate slices that the caller adds up.

Geometry ``geo`` (17 ints): for ``MATMUL`` entries 0-1 are the batch strides of A and B,
2-3 say whether A or B is stored transposed (read with its last two axes swapped, so
``x @ W.T`` needs no copy) and 4-5 are M and K;
for the convolutions it is ``(N, C, H, W, O, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, groups,
has_bias)`` with C, O the input and output channels of the whole layer.
"""
from __future__ import annotations

from numba import cuda

from ._common import TILE, float32, kernel

__all__ = ["R", "BM", "MATMUL", "CONV_FWD", "CONV_DX", "CONV_DW", "gemm"]

R = 4  # register tile: each thread computes R x R outputs
BM = TILE * R
BM1 = BM + 1  # padded row of the A tile: column writes hit distinct banks
MATMUL, CONV_FWD, CONV_DX, CONV_DW = range(4)
GEO = 17


@cuda.jit(device=True)
def _x_at(x, geo, n, c, oh, ow, kh, kw):
    """Input element under kernel tap (kh, kw) of output pixel (oh, ow), or 0 in the padding."""
    ih = oh * geo[9] - geo[11] + kh * geo[13]
    iw = ow * geo[10] - geo[12] + kw * geo[14]
    if ih < 0 or ih >= geo[2] or iw < 0 or iw >= geo[3]:
        return float32(0)
    return x[((n * geo[1] + c) * geo[2] + ih) * geo[3] + iw]


@cuda.jit(device=True)
def _load_a(mode, a, g, row, k, K, geo):
    if mode == MATMUL:
        if geo[2] != 0:
            return a[g * geo[0] + k * geo[4] + row]
        return a[g * geo[0] + row * K + k]
    khw = geo[7] * geo[8]
    og = geo[4] // geo[15]
    if mode == CONV_FWD:
        # weight (O, C/g, KH, KW): row = output channel within group g, k = (c, kh, kw).
        return a[(g * og + row) * K + k]
    cg = geo[1] // geo[15]
    if mode == CONV_DX:
        # transposed weight: row = input channel c, k = (o, kh, kw).
        o = k // khw
        return a[((g * og + o) * cg + row) * khw + k % khw]
    # CONV_DW: grad_out (N, O, OH*OW): row = output channel o, k = (n, pixel).
    ohw = geo[5] * geo[6]
    n = k // ohw
    return a[(n * geo[4] + g * og + row) * ohw + k % ohw]


@cuda.jit(device=True)
def _load_b(mode, b, g, k, col, N, geo):
    if mode == MATMUL:
        if geo[3] != 0:
            return b[g * geo[1] + col * geo[5] + k]
        return b[g * geo[1] + k * N + col]
    khw = geo[7] * geo[8]
    cg = geo[1] // geo[15]
    ohw = geo[5] * geo[6]
    if mode == CONV_FWD:
        # im2col of x: k = (c, kh, kw), col = (n, oh, ow).
        r = k % khw
        pix = col % ohw
        return _x_at(b, geo, col // ohw, g * cg + k // khw, pix // geo[6], pix % geo[6],
                     r // geo[8], r % geo[8])
    if mode == CONV_DW:
        # im2col of x again, transposed: k = (n, oh, ow), col = (c, kh, kw).
        r = col % khw
        pix = k % ohw
        return _x_at(b, geo, k // ohw, g * cg + col // khw, pix // geo[6], pix % geo[6],
                     r // geo[8], r % geo[8])
    # CONV_DX: grad_out at the output pixel that tap (kh, kw) maps onto input pixel col.
    og = geo[4] // geo[15]
    hw = geo[2] * geo[3]
    o = k // khw
    r = k % khw
    n = col // hw
    p = col % hw
    th = p // geo[3] + geo[11] - (r // geo[8]) * geo[13]
    tw = p % geo[3] + geo[12] - (r % geo[8]) * geo[14]
    if th < 0 or tw < 0 or th % geo[9] != 0 or tw % geo[10] != 0:
        return float32(0)
    oh = th // geo[9]
    ow = tw // geo[10]
    if oh >= geo[5] or ow >= geo[6]:
        return float32(0)
    return b[((n * geo[4] + g * og + o) * geo[5] + oh) * geo[6] + ow]


@cuda.jit(device=True)
def _store(mode, out, bias, g, split, row, col, M, N, v, geo):
    if mode == MATMUL:
        out[(g * M + row) * N + col] = v
    elif mode == CONV_FWD:
        co = g * M + row
        ohw = geo[5] * geo[6]
        if geo[16] != 0:
            v += bias[co]
        out[((col // ohw) * geo[4] + co) * ohw + col % ohw] = v
    elif mode == CONV_DX:
        hw = geo[2] * geo[3]
        out[((col // hw) * geo[1] + g * M + row) * hw + col % hw] = v
    else:
        # CONV_DW partials: (splits, O, C/g * KH * KW).
        out[(split * geo[4] + g * M + row) * N + col] = v


@kernel("void(int64, {t}[::1], {t}[::1], {t}[::1], {t}[::1], int64, int64, int64, int64, "
        f"int64, UniTuple(int64, {GEO}))")
def gemm(mode, a, b, out, bias, M, N, K, kchunk, splits, geo):
    """Grid ``(ceil(N/BM), ceil(M/BM), groups*splits)``, block ``(TILE, TILE)``."""
    As = cuda.shared.array((TILE, BM1), dtype=a.dtype)
    Bs = cuda.shared.array((TILE, BM), dtype=a.dtype)
    acc = cuda.local.array((R, R), dtype=a.dtype)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    lid = ty * TILE + tx
    m0 = cuda.blockIdx.y * BM
    n0 = cuda.blockIdx.x * BM
    g = cuda.blockIdx.z // splits
    split = cuda.blockIdx.z % splits
    kbeg = split * kchunk
    kend = min(K, kbeg + kchunk)
    for i in range(R):
        for j in range(R):
            acc[i, j] = float32(0)
    for k0 in range(kbeg, kend, TILE):
        for e in range(R):
            idx = lid + e * TILE * TILE
            # A tile (BM x TILE): consecutive threads read consecutive k of one row.
            m = idx // TILE
            kk = idx % TILE
            va = float32(0)
            if m0 + m < M and k0 + kk < kend:
                va = _load_a(mode, a, g, m0 + m, k0 + kk, K, geo)
            As[kk, m] = va
            # B tile (TILE x BM): consecutive threads read consecutive columns.
            kk = idx // BM
            n = idx % BM
            vb = float32(0)
            if n0 + n < N and k0 + kk < kend:
                vb = _load_b(mode, b, g, k0 + kk, n0 + n, N, geo)
            Bs[kk, n] = vb
        cuda.syncthreads()
        for kk in range(TILE):
            for i in range(R):
                av = As[kk, ty + i * TILE]
                for j in range(R):
                    acc[i, j] += av * Bs[kk, tx + j * TILE]
        cuda.syncthreads()
    for i in range(R):
        row = m0 + ty + i * TILE
        for j in range(R):
            col = n0 + tx + j * TILE
            if row < M and col < N:
                _store(mode, out, bias, g, split, row, col, M, N, acc[i, j], geo)
