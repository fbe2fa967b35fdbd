"""Transform kernels of Winograd F(2x2, 3x3) (driven by :mod:`.winograd`).

Every 2x2 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for its 4x4 input tile ``d``
(interpolation points 0, 1, -1 and infinity):

    B^T = [1  0 -1  0]    G = [  1    0    0 ]    A^T = [1 1  1  0]
          [0  1  1  0]        [ 1/2  1/2  1/2]          [0 1 -1 -1]
          [0 -1  1  0]        [ 1/2 -1/2  1/2]
          [0  1  0 -1]        [  0    0    1 ]

``t`` runs over the 16 elements of a 4x4 tile, row by row. The kernels are serial and
``nogil``; :mod:`.winograd` runs them on its threads.

Example:
    >>> import numpy as np
    >>> u = np.empty((16, 1), np.float32)
    >>> _weight_transform(np.ones((1, 1, 3, 3), np.float32), u, 0, 1, 0, 1, False, 0)
    >>> float(u[0, 0]), float(u[5, 0])
    (1.0, 2.25)
"""
from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def _g_row(r0, r1, r2, half):
    """``G r`` of three taps: r0, (r0+r1+r2)/2, (r0-r1+r2)/2, r2."""
    return r0, (r0 + r1 + r2) * half, (r0 - r1 + r2) * half, r2


@njit(nogil=True, cache=True)
def _weight_transform(w, u, o0, o1, c0, c1, flip, base):
    """``u[t, base + (o - o0)*(c1 - c0) + c - c0] = (G g G^T)[t]`` for the filters
    ``o0 <= o < o1`` and channels ``c0 <= c < c1`` of ``w``; ``flip`` rotates g by 180
    degrees."""
    half = w.dtype.type(0.5)
    for o in range(o0, o1):
        for c in range(c0, c1):
            if flip:
                g0, g1, g2 = w[o, c, 2, 2], w[o, c, 2, 1], w[o, c, 2, 0]
                g3, g4, g5 = w[o, c, 1, 2], w[o, c, 1, 1], w[o, c, 1, 0]
                g6, g7, g8 = w[o, c, 0, 2], w[o, c, 0, 1], w[o, c, 0, 0]
            else:
                g0, g1, g2 = w[o, c, 0, 0], w[o, c, 0, 1], w[o, c, 0, 2]
                g3, g4, g5 = w[o, c, 1, 0], w[o, c, 1, 1], w[o, c, 1, 2]
                g6, g7, g8 = w[o, c, 2, 0], w[o, c, 2, 1], w[o, c, 2, 2]
            a00, a10, a20, a30 = _g_row(g0, g3, g6, half)  # G g, column by column
            a01, a11, a21, a31 = _g_row(g1, g4, g7, half)
            a02, a12, a22, a32 = _g_row(g2, g5, g8, half)
            i = base + (o - o0) * (c1 - c0) + c - c0
            u[0, i], u[1, i], u[2, i], u[3, i] = _g_row(a00, a01, a02, half)
            u[4, i], u[5, i], u[6, i], u[7, i] = _g_row(a10, a11, a12, half)
            u[8, i], u[9, i], u[10, i], u[11, i] = _g_row(a20, a21, a22, half)
            u[12, i], u[13, i], u[14, i], u[15, i] = _g_row(a30, a31, a32, half)


@njit(nogil=True, cache=True)
def _input_transform(x, v, scratch, q0, q1, n0, ty0, ty1, tw, ph, pw, tiles):
    """``v[t, c*tiles + tile] = (B^T d B)[t]`` for the planes ``q = (n - n0)*C + c`` in
    ``[q0, q1)``, tiles of tile rows ``[ty0, ty1)`` of samples from ``n0``.

    ``scratch`` (at least 2*(ty1-ty0)+2 rows, 2*tw+2 columns) holds one zero-padded band of a
    plane. (Tile by tile measured 1.5x faster than whole-row passes of ``B^T d`` first.)
    """
    c_, h_, w_ = x.shape[1], x.shape[2], x.shape[3]
    rows = 2 * (ty1 - ty0) + 2
    ntile = (ty1 - ty0) * tw
    scratch[:, :] = 0
    r_lo = 2 * ty0 - ph  # input row of scratch row 0
    for q in range(q0, q1):
        n, c = n0 + q // c_, q % c_
        for sr in range(rows):
            xr = r_lo + sr
            if 0 <= xr < h_:
                for j in range(w_):
                    scratch[sr, pw + j] = x[n, c, xr, j]
        base = c * tiles + (q // c_) * ntile
        for ty in range(ty1 - ty0):
            r = 2 * ty
            p = base + ty * tw
            for tx in range(tw):
                k = 2 * tx
                for i in range(4):  # row i of B^T d: d0-d2, d1+d2, d2-d1, d1-d3
                    if i == 0:
                        t0 = scratch[r, k] - scratch[r + 2, k]
                        t1 = scratch[r, k + 1] - scratch[r + 2, k + 1]
                        t2 = scratch[r, k + 2] - scratch[r + 2, k + 2]
                        t3 = scratch[r, k + 3] - scratch[r + 2, k + 3]
                    elif i == 1:
                        t0 = scratch[r + 1, k] + scratch[r + 2, k]
                        t1 = scratch[r + 1, k + 1] + scratch[r + 2, k + 1]
                        t2 = scratch[r + 1, k + 2] + scratch[r + 2, k + 2]
                        t3 = scratch[r + 1, k + 3] + scratch[r + 2, k + 3]
                    elif i == 2:
                        t0 = scratch[r + 2, k] - scratch[r + 1, k]
                        t1 = scratch[r + 2, k + 1] - scratch[r + 1, k + 1]
                        t2 = scratch[r + 2, k + 2] - scratch[r + 1, k + 2]
                        t3 = scratch[r + 2, k + 3] - scratch[r + 1, k + 3]
                    else:
                        t0 = scratch[r + 1, k] - scratch[r + 3, k]
                        t1 = scratch[r + 1, k + 1] - scratch[r + 3, k + 1]
                        t2 = scratch[r + 1, k + 2] - scratch[r + 3, k + 2]
                        t3 = scratch[r + 1, k + 3] - scratch[r + 3, k + 3]
                    v[4 * i, p + tx] = t0 - t2  # times B: t0-t2, t1+t2, t2-t1, t1-t3
                    v[4 * i + 1, p + tx] = t1 + t2
                    v[4 * i + 2, p + tx] = t2 - t1
                    v[4 * i + 3, p + tx] = t1 - t3


@njit(nogil=True, cache=True)
def _output_transform(m, out, bias, relu, scratch, q0, q1, n0, ty0, ty1, tw, tiles, o0,
                      ob):
    """``out[n, o, tile] = A^T m A + bias[o]`` (then ``max(., 0)`` if ``relu``; NaN stays NaN)
    for the planes ``q = (n - n0)*ob + o - o0`` of the filters ``o0 <= o < o0 + ob`` in
    ``[q0, q1)``, tile rows ``[ty0, ty1)``, reading ``m[t, (o - o0)*tiles + tile]``;
    ``scratch`` (2*(ty1-ty0)+8, 2*tw+2) holds the band, then the rows of ``m A`` of one tile
    row."""
    oh, ow = out.shape[2], out.shape[3]
    ntile = (ty1 - ty0) * tw
    zero = out.dtype.type(0)
    rows = 2 * (ty1 - ty0)
    r_hi = min(2 * ty1, oh) - 2 * ty0
    for q in range(q0, q1):
        n, ol = n0 + q // ob, q % ob
        o = o0 + ol
        b = bias[o]
        base = ol * tiles + (q // ob) * ntile
        for ty in range(ty1 - ty0):
            p = base + ty * tw
            for i in range(4):  # m A: (m0 + m1 + m2, m1 - m2 - m3) of every row
                for tx in range(tw):
                    m1, m2 = m[4 * i + 1, p + tx], m[4 * i + 2, p + tx]
                    scratch[rows + i, tx] = m[4 * i, p + tx] + m1 + m2
                    scratch[rows + 4 + i, tx] = m1 - m2 - m[4 * i + 3, p + tx]
            for k in range(2):  # A^T (m A): rows s0 + s1 + s2 and s1 - s2 - s3
                e = rows + 4 * k
                for tx in range(tw):
                    y0 = scratch[e, tx] + scratch[e + 1, tx] + scratch[e + 2, tx] + b
                    y1 = scratch[e + 1, tx] - scratch[e + 2, tx] - scratch[e + 3, tx] + b
                    if relu:
                        y0 = zero if y0 < zero else y0
                        y1 = zero if y1 < zero else y1
                    scratch[2 * ty, 2 * tx + k] = y0
                    scratch[2 * ty + 1, 2 * tx + k] = y1
        for r in range(r_hi):
            for j in range(ow):
                out[n, o, 2 * ty0 + r, j] = scratch[r, j]


@njit(nogil=True, cache=True)
def _grad_output_transform(go, g, scratch, q0, q1, n0, ty0, ty1, tw, tiles):
    """``g[t, o*tiles + tile] = (A dY A^T)[t]`` of every 2x2 tile ``dY`` of ``go`` (N, O, OH, OW)
    for the planes ``q = (n - n0)*O + o`` in ``[q0, q1)``, tile rows ``[ty0, ty1)``; ``scratch``
    (at least 2*(ty1-ty0) rows, 2*tw columns) holds a band, zero past the edges."""
    o_, oh, ow = go.shape[1], go.shape[2], go.shape[3]
    ntile = (ty1 - ty0) * tw
    scratch[:, :] = 0
    r_hi = min(2 * ty1, oh) - 2 * ty0
    for q in range(q0, q1):
        n, o = n0 + q // o_, q % o_
        for r in range(r_hi):
            for j in range(ow):
                scratch[r, j] = go[n, o, 2 * ty0 + r, j]
        p = o * tiles + (q // o_) * ntile
        for ty in range(ty1 - ty0):
            for tx in range(tw):
                y00, y01 = scratch[2 * ty, 2 * tx], scratch[2 * ty, 2 * tx + 1]
                y10, y11 = scratch[2 * ty + 1, 2 * tx], scratch[2 * ty + 1, 2 * tx + 1]
                i = p + ty * tw + tx
                for k in range(4):  # row k of A dY: y0, y0 + y1, y0 - y1, -y1 (rows)
                    if k == 0:
                        a, b = y00, y01
                    elif k == 1:
                        a, b = y00 + y10, y01 + y11
                    elif k == 2:
                        a, b = y00 - y10, y01 - y11
                    else:
                        a, b = -y10, -y11
                    g[4 * k, i] = a  # times A^T: a, a + b, a - b, -b
                    g[4 * k + 1, i] = a + b
                    g[4 * k + 2, i] = a - b
                    g[4 * k + 3, i] = -b


@njit(cache=True, inline="always")
def _gt_row(m0, m1, m2, m3, half):
    """``G^T m`` of four values: m0 + (m1+m2)/2, (m1-m2)/2, (m1+m2)/2 + m3."""
    s = (m1 + m2) * half
    return m0 + s, (m1 - m2) * half, s + m3


@njit(nogil=True, cache=True)
def _weight_grad_transform(m, dw, o0, o1, m0):
    """``dw[o, c] = G^T M G`` of ``m[t, (o - m0)*C + c]`` for filters ``o0 <= o < o1`` (``m``
    holds the sums of the filters from ``m0`` on)."""
    half = dw.dtype.type(0.5)
    c_ = dw.shape[1]
    for o in range(o0, o1):
        for c in range(c_):
            i = (o - m0) * c_ + c
            a0, a1, a2 = _gt_row(m[0, i], m[4, i], m[8, i], m[12, i], half)  # G^T M by columns
            b0, b1, b2 = _gt_row(m[1, i], m[5, i], m[9, i], m[13, i], half)
            c0, c1, c2 = _gt_row(m[2, i], m[6, i], m[10, i], m[14, i], half)
            d0, d1, d2 = _gt_row(m[3, i], m[7, i], m[11, i], m[15, i], half)
            dw[o, c, 0, 0], dw[o, c, 0, 1], dw[o, c, 0, 2] = _gt_row(a0, b0, c0, d0, half)
            dw[o, c, 1, 0], dw[o, c, 1, 1], dw[o, c, 1, 2] = _gt_row(a1, b1, c1, d1, half)
            dw[o, c, 2, 0], dw[o, c, 2, 1], dw[o, c, 2, 2] = _gt_row(a2, b2, c2, d2, half)
