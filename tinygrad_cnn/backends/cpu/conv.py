"""2-D convolution on the CPU: Numba im2col into a buffer, then OpenBLAS GEMMs via ``np.matmul``.

Shapes: input ``x`` (N, C, H, W), weight ``w`` (O, C // groups, KH, KW), output (N, O, OH, OW) with
``OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1`` (same for ``OW``). The batch is processed in
chunks whose column buffer stays cache-sized (a full-batch buffer is ~75 MB for a VGG layer and
is memory-bound), and each chunk's GEMM writes straight into the result. A 1x1, stride-1,
unpadded convolution skips im2col: the input already is its column matrix.

Example:
    >>> x = np.ones((1, 1, 3, 3), np.float32); w = np.ones((1, 1, 2, 2), np.float32)
    >>> conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)[0, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from ._im2col import col2im, im2col

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"]

Pair = tuple[int, int]
Shape = tuple[int, ...]

# Bytes of column buffer per chunk: small enough to stay in the 32 MB L3 between the im2col
# kernel and the GEMM that reads it, large enough that per-chunk call overhead is negligible.
_CHUNK_BYTES = 4 << 20


class _Geometry:
    """Every size of one convolution, as Python ints (keeps Numba to one specialization)."""

    def __init__(self, x_shape: Shape, w_shape: Shape, stride: Pair, padding: Pair,
                 dilation: Pair, groups: int) -> None:
        self.n, self.c, self.h, self.w = (int(v) for v in x_shape)
        self.o, cg, self.kh, self.kw = (int(v) for v in w_shape)
        self.sh, self.sw = int(stride[0]), int(stride[1])
        self.ph, self.pw = int(padding[0]), int(padding[1])
        self.dh, self.dw = int(dilation[0]), int(dilation[1])
        self.g = int(groups)
        self.oh = (self.h + 2 * self.ph - self.dh * (self.kh - 1) - 1) // self.sh + 1
        self.ow = (self.w + 2 * self.pw - self.dw * (self.kw - 1) - 1) // self.sw + 1
        self.l = self.oh * self.ow  # output positions per sample
        self.og = self.o // self.g  # filters per group
        self.k = cg * self.kh * self.kw  # GEMM inner size per group
        self.rows = self.c * self.kh * self.kw  # column-matrix rows over all groups
        self.direct = (self.kh == 1 and self.kw == 1 and self.sh == 1 and self.sw == 1
                       and self.ph == 0 and self.pw == 0)

    def chunk(self, itemsize: int) -> int:
        """Samples per chunk so that one chunk's columns fill about ``_CHUNK_BYTES``."""
        per_sample = self.rows * self.l * itemsize
        return max(1, min(self.n, _CHUNK_BYTES // max(per_sample, 1)))

    def kernel_args(self) -> tuple[int, ...]:
        return (self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.dh, self.dw,
                self.oh, self.ow)


def _dtype_of(x: np.ndarray) -> np.dtype:
    return np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(np.float32)


def conv2d_forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, stride: Pair,
                   padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, H, W) with ``w`` (O, C//groups, KH, KW), plus ``bias`` (O,).

    Returns a new C-contiguous (N, O, OH, OW) array in the dtype of ``x``.
    """
    dt = _dtype_of(x)
    x = np.ascontiguousarray(x, dtype=dt)
    geo = _Geometry(x.shape, w.shape, stride, padding, dilation, groups)
    wg = np.ascontiguousarray(w, dtype=dt).reshape(geo.g, geo.og, geo.k)
    out = np.empty((geo.n, geo.o, geo.oh, geo.ow), dt)
    b = None if bias is None else np.asarray(bias, dtype=dt).reshape(1, geo.o, 1, 1)
    nb = geo.n if geo.direct else geo.chunk(dt.itemsize)
    buf = None if geo.direct else np.empty(nb * geo.rows * geo.l, dt)
    for n0 in range(0, geo.n, nb):
        m = min(nb, geo.n - n0)
        if geo.direct:
            cols = x[n0:n0 + m].reshape(m, geo.g, geo.k, geo.l)
        else:
            im2col(x[n0:n0 + m], buf, geo.rows * geo.l, geo.l, *geo.kernel_args())
            cols = buf[:m * geo.rows * geo.l].reshape(m, geo.g, geo.k, geo.l)
        res = out[n0:n0 + m]
        np.matmul(wg, cols, out=res.reshape(m, geo.g, geo.og, geo.l))
        if b is not None:  # while the chunk is still in cache
            res += b
    return out


def conv2d_backward_input(grad_out: np.ndarray, w: np.ndarray, x_shape: Shape, stride: Pair,
                          padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """Gradient of the convolution with respect to its input, shape ``x_shape``.

    Per chunk: ``cols = W^T @ grad_out`` (one GEMM per sample and group), then col2im sums the
    columns back onto the input pixels they came from.
    """
    dt = _dtype_of(grad_out)
    go = np.ascontiguousarray(grad_out, dtype=dt)
    geo = _Geometry(x_shape, w.shape, stride, padding, dilation, groups)
    wt = np.ascontiguousarray(w, dtype=dt).reshape(geo.g, geo.og, geo.k).transpose(0, 2, 1)
    dx = np.empty((geo.n, geo.c, geo.h, geo.w), dt)
    if geo.direct:
        np.matmul(wt, go.reshape(geo.n, geo.g, geo.og, geo.l),
                  out=dx.reshape(geo.n, geo.g, geo.k, geo.l))
        return dx
    nb = geo.chunk(dt.itemsize)
    buf = np.empty(nb * geo.rows * geo.l, dt)
    for n0 in range(0, geo.n, nb):
        m = min(nb, geo.n - n0)
        cols = buf[:m * geo.rows * geo.l]
        np.matmul(wt, go[n0:n0 + m].reshape(m, geo.g, geo.og, geo.l),
                  out=cols.reshape(m, geo.g, geo.k, geo.l))
        col2im(cols, dx[n0:n0 + m], geo.rows * geo.l, geo.l, *geo.kernel_args())
    return dx


def conv2d_backward_weight(grad_out: np.ndarray, x: np.ndarray, w_shape: Shape, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """Gradient of the convolution with respect to its weight, shape ``w_shape``.

    Per chunk of ``m`` samples the columns are laid out rows-major, (C*KH*KW, m*L), and
    ``grad_out`` is regrouped to (G, O/G, m*L), so each group needs one GEMM whose inner size
    spans the whole chunk; chunk results are summed.
    """
    dt = _dtype_of(x)
    x = np.ascontiguousarray(x, dtype=dt)
    go = np.ascontiguousarray(grad_out, dtype=dt)
    geo = _Geometry(x.shape, w_shape, stride, padding, dilation, groups)
    dw = np.zeros((geo.g, geo.og, geo.k), dt)
    nb = geo.chunk(dt.itemsize)
    buf = None if geo.direct else np.empty(nb * geo.rows * geo.l, dt)
    for n0 in range(0, geo.n, nb):
        m = min(nb, geo.n - n0)
        # (m, G, Og, L) -> (G, Og, m, L): the chunk's gradient with samples next to positions
        g_rows = go[n0:n0 + m].reshape(m, geo.g, geo.og, geo.l).transpose(1, 2, 0, 3)
        g_rows = np.ascontiguousarray(g_rows).reshape(geo.g, geo.og, m * geo.l)
        if geo.direct:
            cols = x[n0:n0 + m].reshape(m, geo.g, geo.k, geo.l).transpose(1, 2, 0, 3)
            cols = np.ascontiguousarray(cols).reshape(geo.g, geo.k, m * geo.l)
        else:
            im2col(x[n0:n0 + m], buf, geo.l, m * geo.l, *geo.kernel_args())
            cols = buf[:m * geo.rows * geo.l].reshape(geo.g, geo.k, m * geo.l)
        dw += np.matmul(g_rows, cols.transpose(0, 2, 1))
    return dw.reshape(tuple(int(v) for v in w_shape))
