"""The parallel phases of the Winograd drivers, each on one of two engines.

:mod:`.winograd` decides the chunks, the structure and the work items; a phase here runs those
items either inside a Numba parallel loop with the GEMMs called from Numba
(:mod:`.winograd_items`, where :func:`._blas.available`) or on Python threads calling numpy
(:func:`._threads.parallel_items`). Both engines run the same items with the same GEMMs and
transforms in the same order; ``k`` is the variant (:class:`.winograd._Kernels`), ranges are
lists of ``(a, b)``, ``band`` the (rows, columns) of a transform's scratch.

Example (``out[t] = a[t] @ b[t]``, two ``t`` per item):
    >>> a = np.ones((4, 2, 3), np.float32); b = np.ones((4, 3, 1), np.float32)
    >>> out = np.empty((4, 2, 1), np.float32)
    >>> gemms(a, b, out, [(0, 2), (2, 4)])[:, :, 0].tolist()
    [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0], [3.0, 3.0]]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _blas
from . import winograd_items as items
from ._threads import parallel_items

Ranges = list[tuple[int, int]]


def _array(ranges: Ranges) -> np.ndarray:
    return np.array(ranges, np.int64).reshape(-1, 2)


def weights(k: Any, w: np.ndarray, buf: np.ndarray, parts: Ranges, flip: bool) -> None:
    """All of ``w``'s filters transformed into ``buf`` (alpha^2, O*C + 16)."""
    c = w.shape[1]
    if _blas.available(w.dtype):
        return _blas.run_items(items.weight_planes, k.tile, w, buf, _array(parts), flip)
    parallel_items(len(parts), lambda _, i: k.weight(w, buf, *parts[i], 0, c, flip,
                                                     parts[i][0] * c))


def inputs(k: Any, x: np.ndarray, vbuf: np.ndarray, planes: Ranges, n0: int, ty0: int,
           ty1: int, tw: int, ph: int, pw: int, tiles: int, band: tuple[int, int]) -> None:
    """The input transform of a chunk (samples from ``n0``, tile rows ``ty0..ty1``)."""
    if _blas.available(x.dtype):
        return _blas.run_items(items.input_planes, k.tile, x, vbuf, _array(planes), n0, ty0,
                               ty1, tw, ph, pw, tiles, band)
    parallel_items(len(planes), lambda buf, i: k.input(
        x, vbuf, buf, *planes[i], n0, ty0, ty1, tw, ph, pw, tiles),
        lambda: np.empty(band, x.dtype))


def grad_outputs(k: Any, go: np.ndarray, gbuf: np.ndarray, planes: Ranges, n0: int, ty0: int,
                 ty1: int, tw: int, tiles: int, band: tuple[int, int]) -> None:
    """The output-gradient transform of a chunk."""
    if _blas.available(go.dtype):
        return _blas.run_items(items.grad_output_planes, k.tile, go, gbuf, _array(planes),
                               n0, ty0, ty1, tw, tiles, band)
    parallel_items(len(planes), lambda buf, i: k.grad_output(
        go, gbuf, buf, *planes[i], n0, ty0, ty1, tw, tiles),
        lambda: np.empty(band, go.dtype))


def outputs(k: Any, mbuf: np.ndarray, out: np.ndarray, bias: np.ndarray, relu: bool,
            planes: Ranges, n0: int, ty0: int, ty1: int, tw: int, tiles: int,
            band: tuple[int, int]) -> None:
    """The output transform of a chunk's products (all filters)."""
    o = out.shape[1]
    if _blas.available(out.dtype):
        return _blas.run_items(items.output_planes, k.tile, mbuf, out, bias, relu,
                               _array(planes), n0, ty0, ty1, tw, tiles, band)
    parallel_items(len(planes), lambda buf, i: k.output(
        mbuf, out, bias, relu, buf, *planes[i], n0, ty0, ty1, tw, tiles, 0, o),
        lambda: np.empty(band, out.dtype))


def weight_grads(k: Any, mbuf: np.ndarray, dw: np.ndarray, blocks: Ranges) -> None:
    """``dw`` from the sums of all filters in ``mbuf``."""
    if _blas.available(dw.dtype):
        return _blas.run_items(items.weight_grad_planes, k.tile, mbuf, dw, _array(blocks))
    parallel_items(len(blocks), lambda _, i: k.weight_grad(mbuf, dw, *blocks[i], 0))


def gemms(a: np.ndarray, b: np.ndarray, out: np.ndarray, ts: Ranges,
          order: np.ndarray | None = None, accumulate: bool = False) -> np.ndarray:
    """``out[t] = a[order[t]] @ b[t]`` (plus ``out[t]`` if ``accumulate``) for every ``t``,
    items owning the ``t`` of each range (batched: every numpy call takes the GIL back)."""
    which = np.arange(len(out)) if order is None else order
    if _blas.available(out.dtype):
        _blas.run_items(items.gemms_by_t, a, which, b, out, 1.0 if accumulate else 0.0,
                        _array(ts))
    elif accumulate:
        parallel_items(len(ts), lambda tmp, i: [
            out[t].__iadd__(np.matmul(a[which[t]], b[t], out=tmp)) for t in range(*ts[i])],
            lambda: np.empty(out.shape[1:], out.dtype))
    elif order is None:
        parallel_items(len(ts), lambda _, i: np.matmul(
            a[slice(*ts[i])], b[slice(*ts[i])], out=out[slice(*ts[i])]))
    else:
        parallel_items(len(ts), lambda _, i: [
            np.matmul(a[order[t]], b[t], out=out[t]) for t in range(*ts[i])])
    return out


def filter_blocks(k: Any, w: np.ndarray, flip: bool, v: np.ndarray, out: np.ndarray,
                  bias: np.ndarray, relu: bool, blocks: Ranges, n0: int, n1: int, ty0: int,
                  ty1: int, tw: int, band: tuple[int, int]) -> None:
    """By blocks of filters: each item transforms its filters (``w``'s rotated, transposed
    ones if ``flip``), multiplies them with the chunk's ``v`` (alpha^2, C, tiles) and
    transforms the products into ``out``."""
    nt, c, tiles = v.shape
    widest = max(b - a for a, b in blocks)
    if _blas.available(out.dtype):
        return _blas.run_items(items.filter_blocks, k.tile, w, flip, v, out, bias, relu,
                               _array(blocks), widest, n0, n1, ty0, ty1, tw, band)

    def block(state: tuple[np.ndarray, np.ndarray, np.ndarray], i: int) -> None:
        ubuf, mbuf, scratch = state
        o0, o1 = blocks[i]
        width = o1 - o0
        if flip:  # (nt, C, width) of w's filters 0..C, channels o0..o1: transposed
            k.weight(w, ubuf, 0, c, o0, o1, True, 0)
            ub = ubuf[:, :c * width].reshape(nt, c, width).transpose(0, 2, 1)
        else:
            k.weight(w, ubuf, o0, o1, 0, c, False, 0)
            ub = ubuf[:, :width * c].reshape(nt, width, c)
        # one batched call, not one per t: the GIL is taken once (two threads that take it
        # back after every GEMM wait on each other; measured 1.1-1.5x faster blocks)
        np.matmul(ub, v, out=mbuf[:, :width * tiles].reshape(nt, width, tiles))
        k.output(mbuf, out, bias, relu, scratch, 0, (n1 - n0) * width, n0, ty0, ty1, tw,
                 tiles, o0, width)

    parallel_items(len(blocks), block, lambda: (
        np.empty((nt, widest * c + 16), out.dtype),
        np.empty((nt, widest * tiles + 16), out.dtype), np.empty(band, out.dtype)))


def weight_grad_blocks(k: Any, g: np.ndarray, v: np.ndarray, sums: np.ndarray | None,
                       dw: np.ndarray, blocks: Ranges, first: bool, last: bool) -> None:
    """By blocks of filters: each item adds ``g[t, o0:o1] @ v[t]^T`` onto its filters' sums
    (``sums[i]`` across chunks, or a thread buffer when ``sums`` is None: one chunk), from
    zero at the ``first`` chunk; at the ``last`` it transforms them into ``dw``."""
    nt, c = v.shape[:2]
    widest = max(b - a for a, b in blocks)
    if _blas.available(dw.dtype):
        held = np.empty((0, nt, 1), dw.dtype) if sums is None else sums
        return _blas.run_items(items.weight_grad_blocks, k.tile, g, v, held, dw,
                               _array(blocks), widest, first, last)

    def block(state: tuple[np.ndarray, np.ndarray], i: int) -> None:
        own, tmp = state
        o0, o1 = blocks[i]
        bbuf = own if sums is None else sums[i]
        bsum = bbuf[:, :(o1 - o0) * c].reshape(nt, o1 - o0, c)
        if first:  # batched: see filter_blocks
            np.matmul(g[:, o0:o1], v.transpose(0, 2, 1), out=bsum)
        else:
            for t in range(nt):
                bsum[t] += np.matmul(g[t, o0:o1], v[t].T, out=tmp[:o1 - o0])
        if last:
            k.weight_grad(bbuf, dw, o0, o1, o0)

    parallel_items(len(blocks), block, lambda: (
        np.empty((nt, widest * c + 16) if sums is None else 0, dw.dtype),
        np.empty((widest, c) if not first else 0, dw.dtype)))
