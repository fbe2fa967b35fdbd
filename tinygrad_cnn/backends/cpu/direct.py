"""Direct convolution by kernel taps, for small images (VGG's 2x2 layers on 32x32 inputs).

A convolution joins output positions ``p`` to input positions ``q`` through the kernel's taps:
``out[n, o, p] = bias[o] + sum over the (tap, p, q) pairs of W[o, :, tap] . x[n, :, q]``.
Grouped by tap, a tap's pairs are one GEMM: ``W[:, :, tap]`` (O, C) times the input columns
of its pairs (C, pairs x N), gathered from ``x``; the products are then summed onto their
output positions. Only the pairs that exist are multiplied: at 2x2 with padding 1, 16 per
sample against im2col's 36 — as few as Winograd F(2x2, 3x3), which has one tile per sample
there, so its 16 GEMMs are N columns wide; here the centre tap's is 4N wide, the edge taps'
2N, and no transform is computed, only a re-layout of the filters into tap-major (taps, O, C)
matrices. Measured at 512 -> 512 channels, batch 32, forward / input grad / weight grad:
3.5 / 2.9 / 3.4 ms against 4.0 / 4.5 / 3.6 ms for F(2x2, 3x3) (``benchmarks/RESULTS.md``).

* forward: gather ``x`` by input position, GEMMs per tap, sum by output position (+ bias,
  ReLU); work items own blocks of filters: a block's re-layout, GEMMs and sums stay in cache;
* input gradient: the same with the roles swapped: gather ``grad_out`` by output position,
  the transposed tap matrices, sum by input position; items own blocks of input channels;
* weight gradient: per tap, ``grad_out``'s gathered columns times ``x``'s, transposed; items
  own blocks of filters and write them back in OIHW order.

The forward pass leaves the tap-major filters and the gathered input in the caller's ``plan``
for the gradients. The items run in Numba parallel loops in float32 (:mod:`.direct_items`),
on Python threads otherwise (see :mod:`.winograd`). Every output element comes from one item
and one fixed sequence of operations (items are sized from the shapes alone): the same bits
for any thread count. Any stride, padding and dilation; one group.

Example:
    >>> x = np.ones((1, 1, 2, 2), np.float32); w = np.ones((1, 1, 3, 3), np.float32)
    >>> forward(x, w, None, (1, 1), (1, 1), (1, 1))[0, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .._geometry import out_size
from . import _blas, direct_items
from ._threads import item_ranges, parallel_items
from .direct_kernels import LANE, gather, sum_pairs, to_oihw, to_taps

__all__ = ["forward", "backward_input", "backward_weight", "pairs_per_sample"]

Pair = tuple[int, int]

# A block's tap-major filters (taps x block x C values): small enough to stay in cache from
# the re-layout to the GEMMs; at least _MIN_ITEMS blocks (see _threads.item_ranges).
# Measured at 512 -> 512 channels, 2x2, batch 32: forward 2.3 / 2.5 / 2.9 ms with 4 / 8 / 16
# blocks.
_BLOCK_BYTES = 3 << 20
_MIN_ITEMS = 4
# Largest gathered input a forward pass leaves in its plan for the weight gradient (the
# gathered columns are pairs/positions times the input: im2col-sized for large images).
_KEEP_BYTES = 24 << 20


class _Taps(NamedTuple):
    """The (tap, p, q) pairs of one geometry, grouped by tap, with both inverse indexes."""
    oh: int
    ow: int
    starts: tuple[int, ...]  # pairs of tap t: starts[t]..starts[t + 1]
    out_pos: np.ndarray  # p of every pair (output position oy*OW + ox)
    in_pos: np.ndarray  # q of every pair (input position iy*W + ix)
    by_out: tuple[np.ndarray, np.ndarray]  # (first, order): pairs of p = order[first[p]:...]
    by_in: tuple[np.ndarray, np.ndarray]  # the same per q


def _index(pos: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(pos, kind="stable")  # within a position: tap order, fixed
    first = np.searchsorted(pos[order], np.arange(size + 1))
    return first.astype(np.int64), order.astype(np.int64)


@functools.lru_cache(maxsize=64)
def _taps(h: int, w: int, kh: int, kw: int, stride: Pair, padding: Pair,
          dilation: Pair) -> _Taps:
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    pairs, starts = [], [0]
    for ky in range(kh):
        for kx in range(kw):
            for oy in range(oh):
                for ox in range(ow):
                    iy, ix = oy * sh + ky * dh - ph, ox * sw + kx * dw - pw
                    if 0 <= iy < h and 0 <= ix < w:
                        pairs.append((oy * ow + ox, iy * w + ix))
            starts.append(len(pairs))
    p, q = (np.array([pq[i] for pq in pairs], np.int64).reshape(-1) for i in (0, 1))
    return _Taps(oh, ow, tuple(starts), p, q, _index(p, oh * ow), _index(q, h * w))


def pairs_per_sample(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair,
                     padding: Pair, dilation: Pair) -> int:
    """Multiply-adds per sample, input channel and filter: the (tap, output, input) pairs.

    Example:
        >>> pairs_per_sample((1, 1, 2, 2), (1, 1, 3, 3), (1, 1), (1, 1), (1, 1))
        16
    """
    return len(_taps(int(x_shape[2]), int(x_shape[3]), int(w_shape[2]), int(w_shape[3]),
                     _ints(stride), _ints(padding), _ints(dilation)).out_pos)


def _ints(pair: Pair) -> Pair:
    return int(pair[0]), int(pair[1])


def _blocks(rows: int, row_bytes: int) -> list[tuple[int, int]]:
    return item_ranges(rows, rows * row_bytes, _BLOCK_BYTES, _MIN_ITEMS)


def _tap_major(nt: int, size: int, dt: np.dtype) -> np.ndarray:
    """An uninitialised (nt, size + 16) buffer of ``nt`` tap matrices of ``size`` values: 16
    values more than their size apart, as with power-of-two sizes the write streams of
    :func:`.direct_kernels.to_taps` would otherwise fall into the same cache sets."""
    return np.empty((nt, size + 16), dt)


def _mats(buf: np.ndarray, base: int, rows: int, cols: int) -> np.ndarray:
    """The (nt, rows, cols) view of the tap matrices that start at ``base`` in ``buf``."""
    return buf[:, base:base + rows * cols].reshape(-1, rows, cols)


def _stage(out: np.ndarray) -> np.ndarray:
    """Scratch of :func:`.direct_kernels.sum_pairs` for ``out`` (N, CH, S)."""
    return np.empty((out.shape[0], LANE, out.shape[2]), out.dtype)


def _gathered(src: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(CH, pairs*N): ``src`` (N, CH, H, W)'s columns of the positions ``pos``."""
    n, ch = src.shape[:2]
    cols = np.empty((ch, len(pos) * n), src.dtype)
    # on this thread: at these sizes (~1 MB) handing half to another thread costs more than
    # it saves (measured: 0.29 ms per call with two threads, 0.15 ms alone)
    gather(src.reshape(n, ch, -1), cols, pos)
    return cols


def _or_empty(shared: np.ndarray | None, nt: int, dt: np.dtype) -> np.ndarray:
    """``shared``, or an empty buffer of its type (the Numba items: no shared filters)."""
    return np.empty((nt, 0), dt) if shared is None else shared


def _key(a: np.ndarray) -> tuple:
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _products(mats, cols: np.ndarray, starts: tuple[int, ...], n: int,
              prod: np.ndarray) -> None:
    """``prod[:, tap's columns] = mats(t) @ cols[:, tap's columns]`` for every tap ``t``."""
    for t in range(len(starts) - 1):
        a, b = starts[t] * n, starts[t + 1] * n
        if b > a:
            np.matmul(mats(t), cols[:, a:b], out=prod[:, a:b])


def forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, stride: Pair,
            padding: Pair, dilation: Pair, relu: bool = False,
            plan: dict | None = None) -> np.ndarray:
    """Convolution of C-contiguous ``x`` (N, C, H, W) with C-contiguous ``w`` (O, C, KH, KW)
    of the same dtype, plus ``bias`` (O,), ReLU if ``relu``: (N, O, OH, OW).

    ``plan``: a dict kept by the caller until :func:`backward_input` and
    :func:`backward_weight` of the same, unchanged ``w`` and ``x``; the tap-major filters and
    the gathered input are left in it for them."""
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    tp = _taps(x.shape[2], x.shape[3], kh, kw, _ints(stride), _ints(padding), _ints(dilation))
    dt, nt = x.dtype, kh * kw
    out = np.empty((n, o, tp.oh, tp.ow), dt)
    b = np.zeros(o, dt) if bias is None else np.ascontiguousarray(bias, dtype=dt)
    cols = _gathered(x, tp.in_pos)
    shared = _tap_major(nt, o * c, dt) if plan is not None else None
    blocks = _blocks(o, nt * c * dt.itemsize)
    widest = max(b1 - b0 for b0, b1 in blocks)
    flat = out.reshape(n, o, -1)
    w3 = w.reshape(o, c, nt)
    if _blas.available(dt):
        _blas.run_items(direct_items.forward_blocks, w3, _or_empty(shared, nt, dt), cols,
                         np.array(tp.starts, np.int64), n, flat, b, bool(relu), *tp.by_out,
                         np.array(blocks, np.int64), widest)
    else:
        def block(state: tuple[np.ndarray, np.ndarray, np.ndarray], i: int) -> None:
            own, prod, stage = state
            o0, o1 = blocks[i]
            buf, base = (own, 0) if shared is None else (shared, o0 * c)
            to_taps(w3, buf, o0, o1, 0, c, base)
            mats = _mats(buf, base, o1 - o0, c)
            _products(lambda t: mats[t], cols, tp.starts, n, prod[:o1 - o0])
            sum_pairs(prod, flat, b, bool(relu), *tp.by_out, o0, o1, stage)

        parallel_items(len(blocks), block, lambda: (
            _tap_major(nt, widest * c if shared is None else 0, dt),
            np.empty((widest, cols.shape[1]), dt), _stage(flat)))
    if plan is not None:
        plan["direct weight"] = (_key(w), shared)
        if cols.nbytes <= _KEEP_BYTES:
            plan["direct input"] = (_key(x), tp, cols)
    return out


def backward_input(grad_out: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
                   stride: Pair, padding: Pair, dilation: Pair,
                   plan: dict | None = None) -> np.ndarray:
    """Input gradient of :func:`forward` (C-contiguous arrays of one dtype): the products of
    ``grad_out``'s gathered columns with the transposed tap matrices, summed by input
    position; the tap-major filters come from the forward pass's ``plan`` when it has them.

    Example:
        >>> g = np.ones((1, 1, 2, 2), np.float32); w = np.ones((1, 1, 3, 3), np.float32)
        >>> backward_input(g, w, (1, 1, 2, 2), (1, 1), (1, 1), (1, 1))[0, 0]
        array([[4., 4.],
               [4., 4.]], dtype=float32)
    """
    n, c, h, wd = (int(v) for v in x_shape)
    o, _, kh, kw = w.shape
    tp = _taps(h, wd, kh, kw, _ints(stride), _ints(padding), _ints(dilation))
    dt, nt = grad_out.dtype, kh * kw
    saved = None if plan is None else plan.pop("direct weight", None)
    shared = saved[1] if saved is not None and saved[0] == _key(w) else None
    cols = _gathered(grad_out, tp.out_pos)
    dx = np.empty((n, c, h, wd), dt)
    blocks = _blocks(c, nt * o * dt.itemsize)
    widest = max(b1 - b0 for b0, b1 in blocks)
    flat, zero = dx.reshape(n, c, -1), np.zeros(c, dt)
    w3 = w.reshape(o, c, nt)
    if _blas.available(dt):
        _blas.run_items(direct_items.input_blocks, w3, _or_empty(shared, nt, dt), cols,
                         np.array(tp.starts, np.int64), n, flat, zero, *tp.by_in,
                         np.array(blocks, np.int64), widest)
        return dx

    def block(state: tuple[np.ndarray, np.ndarray, np.ndarray], i: int) -> None:
        own, prod, stage = state
        c0, c1 = blocks[i]
        if shared is None:
            to_taps(w3, own, 0, o, c0, c1, 0)
            mats = _mats(own, 0, o, c1 - c0)
        else:
            mats = _mats(shared, 0, o, c)[:, :, c0:c1]
        _products(lambda t: mats[t].T, cols, tp.starts, n, prod[:c1 - c0])
        sum_pairs(prod, flat, zero, False, *tp.by_in, c0, c1, stage)

    parallel_items(len(blocks), block, lambda: (
        _tap_major(nt, o * widest if shared is None else 0, dt),
        np.empty((widest, cols.shape[1]), dt), _stage(flat)))
    return dx


def backward_weight(grad_out: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                    stride: Pair, padding: Pair, dilation: Pair,
                    plan: dict | None = None) -> np.ndarray:
    """Weight gradient (O, C, KH, KW) of :func:`forward` (C-contiguous arrays of one dtype):
    per tap, ``grad_out``'s columns of its pairs times ``x``'s, transposed; ``x``'s gathered
    columns come from the forward pass's ``plan`` when it has them.

    Example (each tap's sum counts the pairs it joins):
        >>> g = np.ones((1, 1, 2, 2), np.float32); x = np.ones((1, 1, 2, 2), np.float32)
        >>> backward_weight(g, x, (1, 1, 3, 3), (1, 1), (1, 1), (1, 1))[0, 0]
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]], dtype=float32)
    """
    n, c = x.shape[:2]
    o, _, kh, kw = (int(v) for v in w_shape)
    tp = _taps(x.shape[2], x.shape[3], kh, kw, _ints(stride), _ints(padding), _ints(dilation))
    dt, nt = x.dtype, kh * kw
    saved = None if plan is None else plan.pop("direct input", None)
    if saved is not None and saved[0] == _key(x) and saved[1] is tp:
        cols_x = saved[2]
    else:
        cols_x = _gathered(x, tp.in_pos)
    cols_g = _gathered(grad_out, tp.out_pos)
    dw = np.empty((o, c, nt), dt)
    blocks = _blocks(o, nt * c * dt.itemsize)
    widest = max(b1 - b0 for b0, b1 in blocks)
    if _blas.available(dt):
        _blas.run_items(direct_items.weight_blocks, cols_g, cols_x,
                         np.array(tp.starts, np.int64), n, dw, np.array(blocks, np.int64),
                         widest)
        return dw.reshape(o, c, kh, kw)

    def block(own: np.ndarray, i: int) -> None:
        o0, o1 = blocks[i]
        sums = _mats(own, 0, o1 - o0, c)
        for t in range(nt):
            a, b = tp.starts[t] * n, tp.starts[t + 1] * n
            if b > a:
                np.matmul(cols_g[o0:o1, a:b], cols_x[:, a:b].T, out=sums[t])
            else:  # a tap that joins no pair (it only ever sees padding)
                sums[t] = 0
        to_oihw(own, dw, o0, o1)

    parallel_items(len(blocks), block, lambda: _tap_major(nt, widest * c, dt))
    return dw.reshape(o, c, kh, kw)
