"""The by-samples structure of the Winograd drivers (:mod:`.winograd`): items own samples.

For layers with many tiles and a small transformed weight (VGG's 16x16 and 32x32 layers, and
128 -> 256 channels at 8x8), a work item takes a group of whole samples through every phase
while its data is in cache: input transform into ``V``, the alpha^2 GEMMs ``U[t] @ V[t]`` as
one batched ``np.matmul``, output transform. The transformed filters ``U`` are computed once
and shared. The other structures write ``V`` and ``M`` (several MB each) to memory between
the phases and read them back: measured 1.3-1.5x slower forward passes and input gradients
at 32x32, 16x16 and 8x8 (batch 32). Every output element comes from one item and one fixed
sequence of operations, the groups are sized from the shapes alone: the same bits for any
thread count. (The weight gradient stays by ``t``: per group its GEMMs would sum over a few
tiles only, measured 1.6x slower at 8x8.)

Example:
    >>> groups([(0, 16, 0, 8), (16, 32, 0, 8)], 8, 8)[:2]  # 64 tiles a sample: one a group
    [(0, 0, 1), (0, 1, 2)]
    >>> groups([(0, 32, 0, 2)], 2, 2)[:2]  # 4 tiles a sample: groups of 4 (8 groups)
    [(0, 0, 4), (0, 4, 8)]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _blas, winograd_items
from ._threads import parallel_items

__all__ = ["groups", "run"]

_GROUP_TILES = 64  # tiles per item: fewer make the GEMMs skinny, more leave the cache
_MIN_ITEMS = 8  # a thread that loses its core to another process leaves at most 1/8 behind


def groups(chunks: list[tuple[int, int, int, int]], th: int,
           tw: int) -> list[tuple[int, int, int]]:
    """``(chunk, n0, n1)``: the samples of every chunk (whole samples, see
    :func:`.winograd._chunks`) in groups of about _GROUP_TILES tiles (``th`` x ``tw`` per
    sample), at least _MIN_ITEMS groups in all when the batch allows."""
    n = chunks[-1][1]
    size = max(1, min(-(-_GROUP_TILES // (th * tw)), -(-n // _MIN_ITEMS)))
    return [(j, a, min(a + size, c1)) for j, (c0, c1, _, _) in enumerate(chunks)
            for a in range(c0, c1, size)]


def _buffer(nt: int, size: int, dt: np.dtype) -> np.ndarray:
    # 16 extra elements per row: see winograd._t_major
    return np.empty((nt, size + 16), dt)


def run(x: np.ndarray, u: np.ndarray, out: np.ndarray, bias: np.ndarray, relu: bool,
        ph: int, pw: int, k: Any, chunks: list[tuple[int, int, int, int]],
        keep: list | None) -> None:
    """``out`` = the Winograd convolution of ``x`` with the transformed filters ``u``
    ((alpha^2, O, C), any strides numpy's matmul takes), plus ``bias``, ReLU if ``relu``.
    ``keep``: a list that receives the transformed input, one buffer per chunk laid out as
    the other structures' (the weight gradient runs by ``t`` over these chunks: its GEMMs sum
    over the tiles, and groups of a few samples would make them skinny)."""
    c = x.shape[1]
    o, oh, ow = out.shape[1:]
    nt, dt = k.alpha ** 2, x.dtype
    th, tw = -(-oh // k.tile), -(-ow // k.tile)
    per = th * tw
    items = groups(chunks, th, tw)
    widest = max(n1 - n0 for _, n0, n1 in items) * per
    kept = None
    if keep is not None:  # views of one buffer: the Numba items take it whole
        most = max(c1 - c0 for c0, c1, _, _ in chunks)
        whole = np.empty((len(chunks), nt, c * most * per + 16), dt)
        kept = [whole[j, :, :c * (c1 - c0) * per + 16] for j, (c0, c1, _, _) in
                enumerate(chunks)]
        keep.extend(kept)
    band = (k.tile * th + 8, k.tile * tw + 2)
    if _blas.available(dt):
        _blas.run_items(winograd_items.sample_groups, k.tile, x, u, out, bias, relu, ph, pw,
                        np.array(items, np.int64).reshape(-1, 3),
                        np.array([ch[:2] for ch in chunks], np.int64).reshape(-1, 2),
                        whole if kept is not None else np.empty((0, nt, 1), dt), widest, band)
        return

    def body(state: tuple[Any, np.ndarray, np.ndarray], i: int) -> None:
        own_v, mbuf, scratch = state
        j, n0, n1 = items[i]
        tiles = (n1 - n0) * per
        if kept is None:  # a buffer of this group alone
            k.input(x, own_v, scratch, 0, (n1 - n0) * c, n0, 0, th, tw, ph, pw, tiles)
            v = own_v[:, :c * tiles].reshape(nt, c, tiles)
        else:  # this group's columns of its chunk's buffer
            c0, c1 = chunks[j][:2]
            span = (c1 - c0) * per
            k.input(x, kept[j], scratch, (n0 - c0) * c, (n1 - c0) * c, c0, 0, th, tw, ph, pw,
                    span)
            v = kept[j][:, :c * span].reshape(nt, c, span)[:, :, (n0 - c0) * per:(n1 - c0) * per]
        np.matmul(u, v, out=mbuf[:, :o * tiles].reshape(nt, o, tiles))
        k.output(mbuf, out, bias, relu, scratch, 0, (n1 - n0) * o, n0, 0, th, tw, tiles, 0, o)

    parallel_items(len(items), body, lambda: (
        _buffer(nt, c * widest, dt) if kept is None else None, _buffer(nt, o * widest, dt),
        np.empty(band, dt)))
