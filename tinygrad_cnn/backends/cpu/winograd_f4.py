"""Transform kernels of Winograd F(4x4, 3x3) (driven by :mod:`.winograd`, like F(2x2, 3x3)).

Every 4x4 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for its 6x6 input tile ``d``: 36
multiplies per (tile, input channel, filter) for 16 outputs, against 16 for 4 outputs in
F(2x2, 3x3) (1.8x fewer) and 144 in a direct convolution (4x fewer). Interpolation points
0, 1, -1, 2, -2 and infinity (Lavin and Gray's matrices):

    B^T = [4  0 -5  0 1 0]    G = [ 1/4     0    0 ]    A^T = [1 1  1 1  1 0]
          [0 -4 -4  1 1 0]        [-1/6 -1/6 -1/6 ]          [0 1 -1 2 -2 0]
          [0  4 -4 -1 1 0]        [-1/6  1/6 -1/6 ]          [0 1  1 4  4 0]
          [0 -2 -1  2 1 0]        [1/24 1/12  1/6 ]          [0 1 -1 8 -8 1]
          [0  2 -1 -2 1 0]        [1/24 -1/12 1/6 ]
          [0  4  0 -5 0 1]        [  0     0    1 ]

All transforms run in the data's dtype with dtype-matched constants (float64 weight
transforms, rounded once, measured 1.3x slower for ~2 ulp less error in ``U``, against the
input and output transforms' 1e-6-1e-5 relative error of F(4x4, 3x3) in float32). The kernels
have the signatures of the F(2x2, 3x3) ones in :mod:`.winograd_f2`, with ``t`` running over
the 36 elements of a 6x6 tile.

Example:
    >>> import numpy as np
    >>> u = np.empty((36, 1), np.float32)
    >>> _weight_transform(np.ones((1, 1, 3, 3), np.float32), u, 0, 1, 0, 1, False, 0)
    >>> float(u[0, 0]), float(u[35, 0])
    (0.0625, 1.0)
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["TILE", "ALPHA"]

TILE = 4  # outputs per tile side
ALPHA = 6  # inputs per tile side (TILE + 3 - 1)


@njit(cache=True, inline="always")
def _bt6(d0, d1, d2, d3, d4, d5, two, four, five):
    """``B^T d`` of six values."""
    a, b = d4 - four * d2, d3 - four * d1
    c, e = d4 - d2, two * (d3 - d1)
    return (four * d0 - five * d2 + d4, a + b, a - b, c + e, c - e, four * d1 - five * d3 + d5)


@njit(cache=True, inline="always")
def _at6(m0, m1, m2, m3, m4, m5, two, four, eight):
    """``A^T m`` of six values (four results)."""
    a, b, c, e = m1 + m2, m1 - m2, m3 + m4, m3 - m4
    return m0 + a + c, b + two * e, a + four * c, b + eight * e + m5


@njit(cache=True, inline="always")
def _a6(y0, y1, y2, y3, two, four, eight):
    """``A y`` of four values (six results)."""
    a, b, c, e = y0 + y2, y1 + y3, y0 + four * y2, two * y1 + eight * y3
    return y0, a + b, a - b, c + e, c - e, y3


@njit(cache=True, inline="always")
def _g3(g0, g1, g2, quarter, sixth, twelfth, sixth4):
    """``G g`` of three taps (constants in their dtype: reciprocals, as LLVM keeps a division
    by 6 as a division, ~10x the cost of a multiply)."""
    s, t, h = (g0 + g2) * sixth, g0 * sixth4 + g2 * sixth, g1 * twelfth
    return g0 * quarter, -s - g1 * sixth, -s + g1 * sixth, t + h, t - h, g2


@njit(cache=True, inline="always")
def _gt3(m0, m1, m2, m3, m4, m5, quarter, sixth, twelfth, sixth4):
    """``G^T m`` of six values (three results), constants as for :func:`_g3`."""
    s, e = m1 + m2, m3 + m4
    return (m0 * quarter - s * sixth + e * sixth4, (m2 - m1) * sixth + (m3 - m4) * twelfth,
            (e - s) * sixth + m5)


@njit(cache=True, inline="always")
def _g_constants(a):
    """1/4, 1/6, 1/12 and 1/24 in the dtype of the array ``a``."""
    d = a.dtype.type
    return d(0.25), d(1.0 / 6.0), d(1.0 / 12.0), d(1.0 / 24.0)


@njit(cache=True, inline="always")
def _put6(v, row, i, e):
    v[row, i], v[row + 1, i], v[row + 2, i] = e[0], e[1], e[2]
    v[row + 3, i], v[row + 4, i], v[row + 5, i] = e[3], e[4], e[5]


@njit(nogil=True, cache=True)
def _weight_transform(w, u, o0, o1, c0, c1, flip, base):
    """``u[t, base + (o - o0)*(c1 - c0) + c - c0] = (G g G^T)[t]`` for the filters
    ``o0 <= o < o1`` and channels ``c0 <= c < c1`` of ``w``; ``flip`` rotates g by 180
    degrees."""
    q, s6, s12, s24 = _g_constants(w)
    for o in range(o0, o1):
        for c in range(c0, c1):
            g = w[o, c]
            if flip:
                r0 = (g[2, 2], g[2, 1], g[2, 0])
                r1 = (g[1, 2], g[1, 1], g[1, 0])
                r2 = (g[0, 2], g[0, 1], g[0, 0])
            else:
                r0 = (g[0, 0], g[0, 1], g[0, 2])
                r1 = (g[1, 0], g[1, 1], g[1, 2])
                r2 = (g[2, 0], g[2, 1], g[2, 2])
            k0 = _g3(r0[0], r1[0], r2[0], q, s6, s12, s24)  # G g, column by column
            k1 = _g3(r0[1], r1[1], r2[1], q, s6, s12, s24)
            k2 = _g3(r0[2], r1[2], r2[2], q, s6, s12, s24)
            i = base + (o - o0) * (c1 - c0) + c - c0
            for t in range(6):  # row t of (G g) G^T
                _put6(u, 6 * t, i, _g3(k0[t], k1[t], k2[t], q, s6, s12, s24))


@njit(nogil=True, cache=True)
def _input_transform(x, v, scratch, q0, q1, n0, ty0, ty1, tw, ph, pw, tiles):
    """``v[t, c*tiles + tile] = (B^T d B)[t]`` for the planes ``q = (n - n0)*C + c`` in
    ``[q0, q1)``, tiles of tile rows ``[ty0, ty1)`` of samples from ``n0``; ``scratch`` (at
    least 4*(ty1-ty0)+2 rows, 4*tw+2 columns) holds one zero-padded band of a plane."""
    c_, h_, w_ = x.shape[1], x.shape[2], x.shape[3]
    two, four, five = x.dtype.type(2), x.dtype.type(4), x.dtype.type(5)
    rows = 4 * (ty1 - ty0) + 2
    ntile = (ty1 - ty0) * tw
    scratch[:, :] = 0
    r_lo = 4 * ty0 - ph
    for q in range(q0, q1):
        n, c = n0 + q // c_, q % c_
        for sr in range(rows):
            xr = r_lo + sr
            if 0 <= xr < h_:
                for j in range(w_):
                    scratch[sr, pw + j] = x[n, c, xr, j]
        base = c * tiles + (q // c_) * ntile
        for ty in range(ty1 - ty0):
            r = 4 * ty
            p = base + ty * tw
            for tx in range(tw):
                k = 4 * tx
                s = scratch
                e0 = _bt6(s[r, k], s[r + 1, k], s[r + 2, k], s[r + 3, k], s[r + 4, k],
                          s[r + 5, k], two, four, five)  # B^T d, column by column
                e1 = _bt6(s[r, k + 1], s[r + 1, k + 1], s[r + 2, k + 1], s[r + 3, k + 1],
                          s[r + 4, k + 1], s[r + 5, k + 1], two, four, five)
                e2 = _bt6(s[r, k + 2], s[r + 1, k + 2], s[r + 2, k + 2], s[r + 3, k + 2],
                          s[r + 4, k + 2], s[r + 5, k + 2], two, four, five)
                e3 = _bt6(s[r, k + 3], s[r + 1, k + 3], s[r + 2, k + 3], s[r + 3, k + 3],
                          s[r + 4, k + 3], s[r + 5, k + 3], two, four, five)
                e4 = _bt6(s[r, k + 4], s[r + 1, k + 4], s[r + 2, k + 4], s[r + 3, k + 4],
                          s[r + 4, k + 4], s[r + 5, k + 4], two, four, five)
                e5 = _bt6(s[r, k + 5], s[r + 1, k + 5], s[r + 2, k + 5], s[r + 3, k + 5],
                          s[r + 4, k + 5], s[r + 5, k + 5], two, four, five)
                i = p + tx
                for t in range(6):  # row t of (B^T d) B
                    _put6(v, 6 * t, i, _bt6(e0[t], e1[t], e2[t], e3[t], e4[t], e5[t],
                                            two, four, five))


@njit(nogil=True, cache=True)
def _output_transform(m, out, bias, relu, scratch, q0, q1, n0, ty0, ty1, tw, tiles, o0,
                      ob):
    """``out[n, o, tile] = A^T m A + bias[o]`` (then ``max(., 0)`` if ``relu``; NaN stays NaN)
    for the planes ``q = (n - n0)*ob + o - o0`` of the filters ``o0 <= o < o0 + ob`` in
    ``[q0, q1)``, tile rows ``[ty0, ty1)``, reading ``m[t, (o - o0)*tiles + tile]``;
    ``scratch`` (at least 4*(ty1-ty0) rows, 4*tw columns) holds the
    band."""
    oh, ow = out.shape[2], out.shape[3]
    two, four, eight = out.dtype.type(2), out.dtype.type(4), out.dtype.type(8)
    zero = out.dtype.type(0)
    ntile = (ty1 - ty0) * tw
    r_hi = min(4 * ty1, oh) - 4 * ty0
    for q in range(q0, q1):
        n, ol = n0 + q // ob, q % ob
        o = o0 + ol
        b = bias[o]
        base = ol * tiles + (q // ob) * ntile
        for ty in range(ty1 - ty0):
            p = base + ty * tw
            for tx in range(tw):
                i = p + tx
                f0 = _at6(m[0, i], m[1, i], m[2, i], m[3, i], m[4, i], m[5, i],
                          two, four, eight)  # m A, row by row
                f1 = _at6(m[6, i], m[7, i], m[8, i], m[9, i], m[10, i], m[11, i],
                          two, four, eight)
                f2 = _at6(m[12, i], m[13, i], m[14, i], m[15, i], m[16, i], m[17, i],
                          two, four, eight)
                f3 = _at6(m[18, i], m[19, i], m[20, i], m[21, i], m[22, i], m[23, i],
                          two, four, eight)
                f4 = _at6(m[24, i], m[25, i], m[26, i], m[27, i], m[28, i], m[29, i],
                          two, four, eight)
                f5 = _at6(m[30, i], m[31, i], m[32, i], m[33, i], m[34, i], m[35, i],
                          two, four, eight)
                for k in range(4):  # column k of A^T (m A)
                    y = _at6(f0[k], f1[k], f2[k], f3[k], f4[k], f5[k], two, four, eight)
                    for r in range(4):
                        val = y[r] + b
                        if relu:
                            val = zero if val < zero else val
                        scratch[4 * ty + r, 4 * tx + k] = val
        for r in range(r_hi):
            for j in range(ow):
                out[n, o, 4 * ty0 + r, j] = scratch[r, j]


@njit(nogil=True, cache=True)
def _grad_output_transform(go, g, scratch, q0, q1, n0, ty0, ty1, tw, tiles):
    """``g[t, o*tiles + tile] = (A dY A^T)[t]`` of every 4x4 tile ``dY`` of ``go`` (N, O, OH, OW)
    for the planes ``q = (n - n0)*O + o`` in ``[q0, q1)``, tile rows ``[ty0, ty1)``; ``scratch``
    (at least 4*(ty1-ty0) rows, 4*tw columns) holds a band, zero past the edges."""
    o_, oh, ow = go.shape[1], go.shape[2], go.shape[3]
    two, four, eight = go.dtype.type(2), go.dtype.type(4), go.dtype.type(8)
    ntile = (ty1 - ty0) * tw
    scratch[:, :] = 0
    r_hi = min(4 * ty1, oh) - 4 * ty0
    for q in range(q0, q1):
        n, o = n0 + q // o_, q % o_
        for r in range(r_hi):
            for j in range(ow):
                scratch[r, j] = go[n, o, 4 * ty0 + r, j]
        p = o * tiles + (q // o_) * ntile
        s = scratch
        for ty in range(ty1 - ty0):
            r = 4 * ty
            for tx in range(tw):
                k = 4 * tx
                e0 = _a6(s[r, k], s[r + 1, k], s[r + 2, k], s[r + 3, k], two, four, eight)
                e1 = _a6(s[r, k + 1], s[r + 1, k + 1], s[r + 2, k + 1], s[r + 3, k + 1],
                         two, four, eight)
                e2 = _a6(s[r, k + 2], s[r + 1, k + 2], s[r + 2, k + 2], s[r + 3, k + 2],
                         two, four, eight)
                e3 = _a6(s[r, k + 3], s[r + 1, k + 3], s[r + 2, k + 3], s[r + 3, k + 3],
                         two, four, eight)
                i = p + ty * tw + tx
                for t in range(6):  # row t of (A dY) A^T
                    _put6(g, 6 * t, i, _a6(e0[t], e1[t], e2[t], e3[t], two, four, eight))


@njit(nogil=True, cache=True)
def _weight_grad_transform(m, dw, o0, o1, m0):
    """``dw[o, c] = G^T M G`` of ``m[t, (o - m0)*C + c]`` for filters ``o0 <= o < o1`` (``m``
    holds the sums of the filters from ``m0`` on)."""
    c_ = dw.shape[1]
    q, s6, s12, s24 = _g_constants(dw)
    for o in range(o0, o1):
        for c in range(c_):
            i = (o - m0) * c_ + c
            # G^T M, column by column
            k0 = _gt3(m[0, i], m[6, i], m[12, i], m[18, i], m[24, i], m[30, i], q, s6, s12, s24)
            k1 = _gt3(m[1, i], m[7, i], m[13, i], m[19, i], m[25, i], m[31, i], q, s6, s12, s24)
            k2 = _gt3(m[2, i], m[8, i], m[14, i], m[20, i], m[26, i], m[32, i], q, s6, s12, s24)
            k3 = _gt3(m[3, i], m[9, i], m[15, i], m[21, i], m[27, i], m[33, i], q, s6, s12, s24)
            k4 = _gt3(m[4, i], m[10, i], m[16, i], m[22, i], m[28, i], m[34, i], q, s6, s12, s24)
            k5 = _gt3(m[5, i], m[11, i], m[17, i], m[23, i], m[29, i], m[35, i], q, s6, s12, s24)
            for r in range(3):  # row r of (G^T M) G
                dw[o, c, r, 0], dw[o, c, r, 1], dw[o, c, r, 2] = _gt3(
                    k0[r], k1[r], k2[r], k3[r], k4[r], k5[r], q, s6, s12, s24)
