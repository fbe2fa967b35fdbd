"""2-D convolution on the CPU: Numba im2col into a small buffer, then a BLAS GEMM per work item.

Shapes: input ``x`` (N, C, H, W), weight ``w`` (O, C // groups, KH, KW), output (N, O, OH, OW)
with ``OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1`` (same for ``OW``).

The work is cut into items of ``m`` whole samples (small images) or one sample's band of output
rows (large images), sized so an item's column matrix stays in cache between the im2col that
writes it and the GEMM that reads it (a whole-batch buffer is ~75 MB for a VGG layer, and
filling it is memory-bound). Items run on a few Python threads with single-threaded BLAS
(:mod:`._threads` says why); each item writes only its own part of the result:

* forward: ``out[item] = W @ cols``;
* weight gradient: ``dW += grad_out[item] @ cols^T``, summed per thread, then across threads;
* input gradient: ``cols = W^T @ grad_out[item]``, then col2im adds it onto the item's samples
  (items are whole samples here, so no two threads touch the same input pixel).

Wide stride-1 3x3 convolutions (forward, input and weight gradients) go to Winograd
F(4x4, 3x3) or F(2x2, 3x3) instead (:mod:`.winograd`), and those on tiny images to the direct
convolution by kernel taps (:mod:`.direct`); :func:`conv_algorithm` decides,
``TGCNN_CONV_ALGO`` overrides.

Example:
    >>> x = np.ones((1, 1, 3, 3), np.float32); w = np.ones((1, 1, 2, 2), np.float32)
    >>> conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)[0, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
"""
from __future__ import annotations

import os

import numpy as np

from .._geometry import out_size
from . import direct, winograd
from ._im2col import col2im, im2col
from ._threads import parallel_items

# Fixed, not the thread count: the weight gradient's summation order must not depend on thread
# timing, and work items are sized from the shapes alone (at least _MIN_ITEMS of them when the
# batch allows), so results are bit-identical for any NUMBA_NUM_THREADS.
_WEIGHT_GRAD_LANES = 4
_MIN_ITEMS = 8  # granularity: a thread that loses its core leaves at most 1/8 behind

__all__ = ["conv2d_forward", "conv2d_relu_forward", "conv2d_backward_input",
           "conv2d_backward_weight", "conv_algorithm", "CONV_ALGORITHMS", "CONV_WEIGHT_PLANS"]

#: The convolution kernels take a ``plan`` dict (see :func:`conv2d_forward`): an op that keeps
#: one from the forward pass to the gradients saves their weight and input transforms.
CONV_WEIGHT_PLANS = True

#: Values of the ``TGCNN_CONV_ALGO`` environment variable; ``auto`` is the default.
CONV_ALGORITHMS = ("auto", "im2col", "winograd", "winograd4", "direct")
# Output tile side of each Winograd algorithm: F(2x2, 3x3) and F(4x4, 3x3).
_TILE = {"winograd": 2, "winograd4": 4}
# auto: Winograd F(2x2, 3x3) where the GEMM work per transformed element, C*O/(C+O) for C input
# and O output channels, reaches this, per pass (the transforms cost ~(C+O) per tile, the GEMMs
# save ~C*O). Measured on VGG layers, batch 32, against im2col (one-thread CPU time on a busy
# machine): forward and input gradient tie at 64x128 (43), lose 6-14 % at 128x128 (64) and win
# 15-40 % from 128x256 (85) on; the weight gradient, whose GEMMs run over all tiles, wins from
# 64x64 (32) on; all lose at 3 input channels. To re-measure on a quiet machine.
_WINOGRAD_MIN_WIDTH = {"forward": 80, "input grad": 80, "weight grad": 32}
# auto: F(4x4, 3x3) instead, every pass, where C*O/(C+O) >= 32, its 6x6 tiles take fewer
# multiplies than F(2x2, 3x3)'s 4x4 ones (36 per 4x4 tile against 16 per 2x2 tile: 4x4, 8x8,
# 16x16 images yes, 2x2 and 6x6 no) and the call has at least 32 4x4 output tiles over the
# batch (below that its per-call weight transform, 36*C*O values, outweighs the GEMMs it
# saves). Measured on VGG layers, batch 32, same-process A/B: with the blocked driver F(4x4)
# against F(2x2) 0.79-0.95x per pass at 4x4 (256->512, 512->512: 32 tiles), about 2x slower
# at 2x2; before it, F(4x4) against the best other 0.62-0.92x at 32x32 to 8x8 (64 to 256
# channels) and 2-3x slower at 3 input channels.
_WINOGRAD4_MIN_WIDTH = 32
_WINOGRAD4_MIN_TILES = 32
# auto: the direct convolution by taps (:mod:`.direct`) where it takes at most as many
# multiplies per sample as F(2x2, 3x3) (16 per 2x2 tile): 1x1 to 3x3 images. At 2x2 they tie,
# but F(2x2)'s 16 GEMMs are one tile per sample wide and it transforms every filter, where the
# direct one re-lays the filters out and its GEMMs are 1-4 samples' positions wide. Measured
# at 512 -> 512 channels, 1x1 to 3x3, batch 32 (one process, alternating): every pass faster
# than both Winograd variants (benchmarks/RESULTS.md).

Pair = tuple[int, int]
Shape = tuple[int, ...]

# Bytes of one item's column matrix. Process CPU time of the 32x64x32x32 benchmark was lowest
# for 2-3 MB (fewer, larger GEMMs and calls) against 0.25-1 MB or 8 MB; at least _MIN_COLUMNS
# columns so the GEMM is not too skinny.
_ITEM_BYTES = 2 << 20
_MIN_COLUMNS = 64


class _Plan:
    """Every size of one convolution as Python ints (one Numba specialization) and its items."""

    def __init__(self, x_shape: Shape, w_shape: Shape, stride: Pair, padding: Pair,
                 dilation: Pair, groups: int, itemsize: int) -> None:
        self.n, self.c, self.h, self.w = (int(v) for v in x_shape)
        self.o, cg, kh, kw = (int(v) for v in w_shape)
        sh, sw = int(stride[0]), int(stride[1])
        ph, pw = int(padding[0]), int(padding[1])
        dh, dw = int(dilation[0]), int(dilation[1])
        self.oh = out_size(self.h, kh, sh, ph, dh)
        self.ow = out_size(self.w, kw, sw, pw, dw)
        self.l = self.oh * self.ow  # output positions per sample
        self.g = int(groups)
        self.og = self.o // self.g  # filters per group
        self.k = cg * kh * kw  # GEMM inner size per group
        self.rows = self.c * kh * kw  # column-matrix rows over all groups
        self.args = (kh, kw, sh, sw, ph, pw, dh, dw, self.ow)
        columns = max(_MIN_COLUMNS, _ITEM_BYTES // (self.rows * itemsize))
        if columns >= self.l:  # whole samples per item, but leave >= _MIN_ITEMS items
            n_items = max(-(-self.n // max(1, columns // self.l)), _MIN_ITEMS)
            self.m, self.band = -(-self.n // min(n_items, self.n)), self.oh
        else:  # one sample per item, a band of output rows; bands of (nearly) equal height
            bands = -(-self.oh // max(1, columns // self.ow))
            self.m, self.band = 1, -(-self.oh // bands)
        self.samples = [(n0, min(self.m, self.n - n0)) for n0 in range(0, self.n, self.m)]
        self.bands = [(r0, min(r0 + self.band, self.oh)) for r0 in range(0, self.oh, self.band)]
        self.buf_size = self.rows * self.m * self.band * self.ow

    def items(self) -> list[tuple[int, int, int, int]]:
        """``(n0, m, r0, r1)`` for every sample group and row band."""
        return [(n0, m, r0, r1) for n0, m in self.samples for r0, r1 in self.bands]

    def grad_block(self, go: np.ndarray, n0: int, m: int, r0: int, r1: int) -> np.ndarray:
        """An item's ``grad_out`` as (G, O/G, m*band): a view for one sample, else a copy."""
        if m == 1:
            return go[n0].reshape(self.g, self.og, self.l)[:, :, r0 * self.ow:r1 * self.ow]
        block = go[n0:n0 + m].reshape(m, self.g, self.og, self.l).transpose(1, 2, 0, 3)
        return np.ascontiguousarray(block).reshape(self.g, self.og, m * self.l)

    def fill_cols(self, x: np.ndarray, buf: np.ndarray, n0: int, m: int, r0: int,
                  r1: int) -> np.ndarray:
        """im2col of an item into ``buf``; returns it as (G, K, m*band), K = C/G*KH*KW."""
        width = (r1 - r0) * self.ow
        cols = buf[:self.rows * m * width]
        im2col(x, cols, n0, m, r0, r1, width, m * width, *self.args)
        return cols.reshape(self.g, self.k, m * width)


def conv_algorithm(pass_: str, x_shape: Shape, w_shape: Shape, stride: Pair, padding: Pair,
                   dilation: Pair, groups: int) -> str:
    """``"im2col"``, ``"winograd"`` (F(2x2, 3x3)), ``"winograd4"`` (F(4x4, 3x3)) or
    ``"direct"`` (by kernel taps): how ``pass_`` (``"forward"``, ``"input grad"`` or
    ``"weight grad"``) of this convolution is computed, following ``TGCNN_CONV_ALGO``.

    Winograd covers stride-1, undilated, ungrouped 3x3 convolutions with padding 0..2, the
    direct convolution every ungrouped one; every other geometry is im2col whatever the
    variable says.

    Example:
        >>> conv_algorithm("forward", (8, 3, 32, 32), (64, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1)
        'im2col'
    """
    choice = os.environ.get("TGCNN_CONV_ALGO", "auto").strip().lower() or "auto"
    if choice not in CONV_ALGORITHMS:
        raise ValueError(f"TGCNN_CONV_ALGO={choice!r}: expected one of "
                         f"{', '.join(CONV_ALGORITHMS)}")
    if choice == "direct" and int(groups) == 1:
        return choice
    if not winograd.supports(w_shape, stride, padding, dilation, groups):
        return "im2col"
    if choice == "auto":
        o, c = int(w_shape[0]), int(w_shape[1])
        oh = int(x_shape[2]) + 2 * int(padding[0]) - 2
        ow = int(x_shape[3]) + 2 * int(padding[1]) - 2
        tiles2, tiles4 = -(-oh // 2) * -(-ow // 2), -(-oh // 4) * -(-ow // 4)
        if direct.pairs_per_sample(x_shape, w_shape, stride, padding, dilation) <= 16 * tiles2:
            return "direct"
        fewer = 36 * tiles4 < 16 * tiles2  # multiplies per image
        if (o * c >= _WINOGRAD4_MIN_WIDTH * (o + c) and fewer
                and int(x_shape[0]) * tiles4 >= _WINOGRAD4_MIN_TILES):
            return "winograd4"
        return "winograd" if o * c >= _WINOGRAD_MIN_WIDTH[pass_] * (o + c) else "im2col"
    return choice


def _dtype_of(a: np.ndarray) -> np.dtype:
    return np.dtype(np.float64) if a.dtype == np.float64 else np.dtype(np.float32)


def conv2d_forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, stride: Pair,
                   padding: Pair, dilation: Pair, groups: int, relu: bool = False,
                   plan: dict | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, H, W) with ``w`` (O, C//groups, KH, KW), plus ``bias`` (O,),
    then ``max(., 0)`` if ``relu`` (NaN stays NaN), block by block while it is in cache.

    Returns a new C-contiguous (N, O, OH, OW) array in the dtype of ``x``. ``plan``: an empty
    dict that the caller passes again to :func:`conv2d_backward_input` and
    :func:`conv2d_backward_weight` with the same, unchanged ``w`` and ``x``; it carries the
    Winograd transforms of the weight (F(2x2, 3x3)) and of the input across.
    """
    dt = _dtype_of(x)
    x = np.ascontiguousarray(x, dtype=dt)
    algo = conv_algorithm("forward", x.shape, w.shape, stride, padding, dilation, groups)
    if algo == "direct":
        return direct.forward(x, np.ascontiguousarray(w, dtype=dt), bias, stride, padding,
                              dilation, relu=relu, plan=plan)
    if algo != "im2col":
        return winograd.forward(x, np.ascontiguousarray(w, dtype=dt), bias, *padding, relu=relu,
                                tile=_TILE[algo], plan=plan)
    p = _Plan(x.shape, w.shape, stride, padding, dilation, groups, dt.itemsize)
    wg = np.ascontiguousarray(w, dtype=dt).reshape(p.g, p.og, p.k)
    b = None if bias is None else np.asarray(bias, dtype=dt)
    out = np.empty((p.n, p.o, p.oh, p.ow), dt)
    items = p.items()

    def body(buf: np.ndarray, i: int) -> None:
        n0, m, r0, r1 = items[i]
        cols = p.fill_cols(x, buf, n0, m, r0, r1)
        if m == 1:  # straight into the (strided, BLAS-compatible) output band
            dst = out[n0].reshape(p.g, p.og, p.l)[:, :, r0 * p.ow:r1 * p.ow]
            np.matmul(wg, cols, out=dst)
        elif p.l >= _MIN_COLUMNS:  # a GEMM per sample, straight into its output
            dst = out[n0:n0 + m].reshape(m, p.g, p.og, p.l).transpose(1, 2, 0, 3)
            for j in range(m):
                np.matmul(wg, cols[:, :, j * p.l:(j + 1) * p.l], out=dst[:, :, j])
        else:  # whole samples: (G, O/G, m*L) -> (m, G, O/G, L)
            dst = out[n0:n0 + m].reshape(m, p.g, p.og, p.l).transpose(1, 2, 0, 3)
            dst[...] = np.matmul(wg, cols).reshape(p.g, p.og, m, p.l)
        if b is not None:  # while the block is still in cache
            dst += b.reshape(p.g, p.og, 1) if m == 1 else b.reshape(p.g, p.og, 1, 1)
        if relu:
            np.maximum(dst, 0, out=dst)

    parallel_items(len(items), body, lambda: np.empty(p.buf_size, dt))
    return out


def conv2d_relu_forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, stride: Pair,
                        padding: Pair, dilation: Pair, groups: int,
                        plan: dict | None = None) -> np.ndarray:
    """``max(conv2d_forward(...), 0)`` in one pass (the fused op of :mod:`tinygrad_cnn.ops.fused`).

    Example:
        >>> x = np.ones((1, 1, 2, 2), np.float32); w = -np.ones((1, 1, 1, 1), np.float32)
        >>> float(conv2d_relu_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1).max())
        0.0
    """
    return conv2d_forward(x, w, bias, stride, padding, dilation, groups, relu=True, plan=plan)


def conv2d_backward_input(grad_out: np.ndarray, w: np.ndarray, x_shape: Shape, stride: Pair,
                          padding: Pair, dilation: Pair, groups: int,
                          plan: dict | None = None) -> np.ndarray:
    """Gradient of the convolution with respect to its input, shape ``x_shape`` (``plan``: the
    forward pass's, see :func:`conv2d_forward`)."""
    dt = _dtype_of(grad_out)
    go = np.ascontiguousarray(grad_out, dtype=dt)
    algo = conv_algorithm("input grad", x_shape, w.shape, stride, padding, dilation, groups)
    if algo == "direct":
        return direct.backward_input(go, np.ascontiguousarray(w, dtype=dt), x_shape, stride,
                                     padding, dilation, plan=plan)
    if algo != "im2col":
        return winograd.backward_input(go, np.ascontiguousarray(w, dtype=dt), x_shape, *padding,
                                       tile=_TILE[algo], plan=plan)
    p = _Plan(x_shape, w.shape, stride, padding, dilation, groups, dt.itemsize)
    wt = np.ascontiguousarray(w, dtype=dt).reshape(p.g, p.og, p.k).transpose(0, 2, 1)
    dx = np.empty((p.n, p.c, p.h, p.w), dt)

    def body(buf: np.ndarray, i: int) -> None:
        n0, m = p.samples[i]  # whole samples: this thread alone writes dx[n0:n0+m]
        dx[n0:n0 + m] = 0
        for r0, r1 in p.bands:
            width = (r1 - r0) * p.ow
            cols = buf[:p.rows * m * width]
            np.matmul(wt, p.grad_block(go, n0, m, r0, r1), out=cols.reshape(p.g, p.k, -1))
            col2im(cols, dx, n0, m, r0, r1, width, m * width, *p.args)

    parallel_items(len(p.samples), body, lambda: np.empty(p.buf_size, dt))
    return dx


def conv2d_backward_weight(grad_out: np.ndarray, x: np.ndarray, w_shape: Shape, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int,
                           plan: dict | None = None) -> np.ndarray:
    """Gradient of the convolution with respect to its weight, shape ``w_shape`` (``plan``: the
    forward pass's, see :func:`conv2d_forward`).

    Work items are dealt round-robin onto a fixed number of lanes, each lane summing its items
    in order into its own partial, and the partials are added in lane order: the result is
    bit-identical from run to run whatever the thread timing (same seed, same weights).
    """
    dt = _dtype_of(x)
    x = np.ascontiguousarray(x, dtype=dt)
    go = np.ascontiguousarray(grad_out, dtype=dt)
    algo = conv_algorithm("weight grad", x.shape, w_shape, stride, padding, dilation, groups)
    if algo == "direct":
        return direct.backward_weight(go, x, w_shape, stride, padding, dilation, plan=plan)
    if algo != "im2col":
        return winograd.backward_weight(go, x, *padding, tile=_TILE[algo], plan=plan)
    p = _Plan(x.shape, w_shape, stride, padding, dilation, groups, dt.itemsize)
    items = p.items()
    lanes = min(len(items), _WEIGHT_GRAD_LANES)
    partials = np.zeros((lanes, p.g, p.og, p.k), dt)

    def init() -> tuple[np.ndarray, np.ndarray]:
        return np.empty(p.buf_size, dt), np.empty((p.g, p.og, p.k), dt)

    def body(state: tuple[np.ndarray, np.ndarray], lane: int) -> None:
        buf, tmp = state
        for i in range(lane, len(items), lanes):
            n0, m, r0, r1 = items[i]
            cols = p.fill_cols(x, buf, n0, m, r0, r1)
            np.matmul(p.grad_block(go, n0, m, r0, r1), cols.transpose(0, 2, 1), out=tmp)
            partials[lane] += tmp

    parallel_items(lanes, body, init)
    dw = partials[0]
    for lane in range(1, lanes):
        dw += partials[lane]
    return dw.reshape(tuple(int(v) for v in w_shape))
