"""Winograd minimal filtering F(2x2, 3x3) for stride-1, undilated, ungrouped 3x3 convolutions.

Every 2x2 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for its 4x4 input tile ``d``: 16
multiplies per (tile, input channel, filter) instead of 36. Summed over the input channels the
16 element-wise products become 16 independent GEMMs ``M[t] = U[t] @ V[t]`` with
``U[t]`` (O, C) the transformed filters and ``V[t]`` (C, tiles) the transformed input tiles;
those run in BLAS (``np.matmul``), the transforms are serial ``nogil`` Numba kernels.

The batch is cut into chunks of whole samples (or one sample's band of tile rows for large
images) so that a chunk's ``V`` and ``M`` stay within a few MB. A call runs one of three
structures (:func:`_structure`), each on :func:`._threads.parallel_items`:

* by ``t`` (large transformed weights over many tiles, large images): per chunk, the input
  transform (items own (sample, channel) planes of ``V``), the alpha^2 GEMMs (items own one
  ``t``: wide GEMMs over all filters), the output transform (items own (sample, filter)
  planes), the filters transformed once before;
* by samples (:mod:`.winograd_samples`: many tiles, a small transformed weight, VGG's 32x32
  to 8x8 layers): items own a group of samples and take it through every phase in cache;
* by blocks of filters (few tiles: 4x4 layers, where the weight dominates): items
  own a block of filters, transform it into ``U``, run its GEMMs and transform its output
  planes while all of it is in cache, so the transformed weight (16 or 36 values for 9) need
  not go out to memory and back (measured 1.2-1.5x faster for such layers inside a training
  step; up to 1.2x slower than by ``t`` from 8x8 up).

The items run on Python threads with single-threaded BLAS rather than a Numba ``prange`` pool,
like the im2col path (:mod:`._threads` says why: prange kernels next to BLAS calls stall on
spinning threads). Chunks and items are sized from the shapes only,
never from the thread count, and every output element is computed by one fixed sequence of
operations: results are the same for any number of threads, run to run.

The input gradient of such a convolution with padding ``p`` is this convolution of ``grad_out``
with the flipped, transposed filters and padding ``2 - p`` (see :func:`backward_input`); the
weight gradient reuses the input transform and sums ``(A dY A^T)[t] V[t]^T`` over the tiles
(see :func:`backward_weight`). A ``plan`` dict carries the forward pass's weight transform
(F(2x2, 3x3): the rotated filter's is a permutation of it) and transformed input to them.

The transform kernels live in :mod:`.winograd_f2`; the drivers here also run F(4x4, 3x3)
(``tile=4``: 36-element 6x6 tiles, kernels in :mod:`.winograd_f4`) with the same chunks,
phases and GEMMs.

Example:
    >>> x = np.ones((1, 1, 3, 3), np.float32); w = np.ones((1, 1, 3, 3), np.float32)
    >>> forward(x, w, None, 1, 1)[0, 0]
    array([[4., 6., 4.],
           [6., 9., 6.],
           [4., 6., 4.]], dtype=float32)
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import winograd_f2, winograd_f4, winograd_samples
from ._threads import item_ranges, parallel_items, split

__all__ = ["forward", "backward_input", "backward_weight", "supports", "TILES"]

#: Output tile sides of the variants: F(2x2, 3x3) and F(4x4, 3x3) (:mod:`.winograd_f4`).
TILES = (2, 4)

# Bytes of a chunk's V and M together. At 16 MB a chunk of VGG-11's deep CIFAR layers is the
# whole batch (one set of phase joins, the widest GEMMs); not tuned further: the machine of the
# session that wrote this was too loaded to measure alternatives apart.
_CHUNK_BYTES = 16 << 20
# Items per transform phase and per GEMM phase by t (fixed: results must not depend on the
# thread count). Fewer, larger items: every item takes the GIL back from the other thread once
# or more (measured in the VGG-11 step, alternating: 16 -> 8 transform items 131 -> 127 ms,
# 256 -> 256 @8x8 forward 8.8 -> 7.5 ms; a GEMM item per t -> 12 batched items 146 -> 143 ms).
_PLANE_ITEMS = 8
_GEMM_ITEMS = 12
# Blocks of filters, per pass: (bytes of a block's transformed filters or weight-gradient sums,
# fewest blocks per call). Measured on VGG-11's layers at batch 32 (alternating, one process):
# the forward pass is fastest with small blocks (its transform, GEMMs and output transform stay
# in cache), the input gradient with medium ones, the weight gradient, whose GEMMs sum over
# the tiles, with a few large ones (8 blocks: 1.2-1.4x slower); at least 4 so that a thread
# that loses its core to another process leaves little behind.
_BLOCKS = {"forward": (2 << 20, 8), "input grad": (4 << 20, 4), "weight grad": (16 << 20, 4)}
# Which structure a call runs (:func:`_structure`): by blocks of filters up to this many tiles
# per call (the 4x4 and 2x2 layers of VGG-11 at batch 32: the weight dominates); by samples
# (:mod:`.winograd_samples`) when the transformed weight is at most _SHARED_U_BYTES and one
# sample's V and M at most _SAMPLE_BYTES; by ``t`` otherwise (large filters over many tiles,
# large images).
_FEW_TILES = 64
_SHARED_U_BYTES = 6 << 20
_SAMPLE_BYTES = 4 << 20
# Largest transformed input a forward pass leaves in its plan for the weight gradient: every
# Winograd layer of VGG-11 on CIFAR at batch 32 (up to 19 MB: 64 -> 64 channels at 32x32).
_KEEP_BYTES = 24 << 20


def supports(w_shape: tuple[int, ...], stride: tuple[int, int], padding: tuple[int, int],
             dilation: tuple[int, int], groups: int) -> bool:
    """Whether the geometry is one this module computes (forward and input gradient).

    Example:
        >>> supports((8, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1)
        True
    """
    return (tuple(w_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and groups == 1
            and all(0 <= int(p) <= 2 for p in padding))


class _Kernels(NamedTuple):
    """One Winograd variant F(tile x tile, 3x3): its sizes and transform kernels."""
    tile: int  # outputs per tile side
    alpha: int  # inputs per tile side, tile + 2
    weight: Callable
    input: Callable
    output: Callable
    grad_output: Callable
    weight_grad: Callable


def _variant(tile: int) -> _Kernels:
    if tile in TILES:
        f = winograd_f2 if tile == 2 else winograd_f4
        return _Kernels(tile, tile + 2, f._weight_transform, f._input_transform,
                        f._output_transform, f._grad_output_transform, f._weight_grad_transform)
    raise ValueError(f"Winograd tile {tile!r}: expected one of {TILES}")


def _chunks(n: int, th: int, tw: int, per_tile: int) -> list[tuple[int, int, int, int]]:
    """``(n0, n1, ty0, ty1)``: whole samples, or one sample's band of tile rows."""
    max_tiles = max(tw, _CHUNK_BYTES // per_tile)
    if th * tw <= max_tiles:
        m = max_tiles // (th * tw)
        return [(n0, min(n0 + m, n), 0, th) for n0 in range(0, n, m)]
    rows = max(1, max_tiles // tw)
    return [(s, s + 1, r0, min(r0 + rows, th)) for s in range(n) for r0 in range(0, th, rows)]


def _gemms_by_t(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[t] = a[t] @ b[t]`` for every ``t``, a few ``t`` per work item in one batched call
    each (every call takes the GIL back from the other thread)."""
    ts = split(a.shape[0], _GEMM_ITEMS)
    parallel_items(len(ts), lambda _, i: np.matmul(
        a[slice(*ts[i])], b[slice(*ts[i])], out=out[slice(*ts[i])]))


def _t_major(rows: int, cols: int, dt: np.dtype,
             nt: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """An uninitialised C-contiguous (nt, rows*cols + 16) buffer for the kernels and its
    (nt, rows, cols) view for the GEMMs (``nt``: elements of a transformed tile). The 16 extra
    elements keep the streams a transform reads or writes out of the same cache sets when
    sizes are powers of two (measured 4-7x slower transforms without them)."""
    size = rows * cols
    buf = np.empty((nt, size + 16), dt)
    return buf, buf[:, :size].reshape(nt, rows, cols)


def _blocks(pass_: str, o: int, c: int, nt: int, itemsize: int) -> list[tuple[int, int]]:
    """Ranges of output channels, one work item each, for ``pass_`` (a key of _BLOCKS): a
    block's ``nt`` matrices of block x ``c`` values stay within its bytes, in at least its
    number of blocks (:func:`._threads.item_ranges`)."""
    size, fewest = _BLOCKS[pass_]
    return item_ranges(o, nt * o * c * itemsize, size, fewest)


def _structure(n: int, c: int, o: int, oh: int, ow: int, k: _Kernels, itemsize: int) -> str:
    """``"filters"``, ``"samples"`` or ``"t"``: how a call with ``n`` samples, ``c`` input and
    ``o`` output channels and OH x OW outputs runs (the same for its three passes)."""
    nt, per_sample = k.alpha ** 2, -(-oh // k.tile) * -(-ow // k.tile)
    if n * per_sample <= _FEW_TILES:
        return "filters"
    if (nt * o * c * itemsize <= _SHARED_U_BYTES
            and nt * (c + o) * per_sample * itemsize <= _SAMPLE_BYTES):
        return "samples"
    return "t"


def _transform_all(w: np.ndarray, flip: bool, k: _Kernels,
                   buf: np.ndarray | None = None) -> np.ndarray:
    """(alpha^2, out, in) matrices of all of ``w``'s transformed filters (rotated and
    transposed if ``flip``), computed into ``buf`` ((alpha^2, O*C + 16); a new one if None)."""
    o, c = w.shape[:2]
    if buf is None:
        buf, _ = _t_major(o, c, w.dtype, k.alpha ** 2)
    parts = split(o, _PLANE_ITEMS)
    parallel_items(len(parts), lambda _, i: k.weight(w, buf, *parts[i], 0, c, flip,
                                                     parts[i][0] * c))
    u = buf[:, :o * c].reshape(-1, o, c)
    return u.transpose(0, 2, 1) if flip else u


def _run(x: np.ndarray, w: np.ndarray, flip: bool, out: np.ndarray, bias: np.ndarray,
         relu: bool, ph: int, pw: int, k: _Kernels, keep: list | None = None,
         u: list | None = None, save: np.ndarray | None = None) -> np.ndarray:
    """Convolve ``x`` (N, C, H, W) into ``out`` (N, O, OH, OW) with the OIHW 3x3 weight ``w``:
    (O, C) as it is, or (C, O) rotated by 180 degrees with its in and out channels swapped if
    ``flip`` (the input gradient). ``keep``: a list that receives every chunk's transformed
    input (the weight gradient's chunks are the same) when all of it is at most _KEEP_BYTES
    (large images keep nothing: a recorded graph must not hold 2-4x its activations).
    ``u``: the transformed filters as (out, in) matrices per ``t``, when the caller has them;
    ``save``: an (alpha^2, O*C + 16) buffer that receives them when they are computed all at
    once (many tiles: the forward pass's plan). Blocks of filters do not write theirs out
    (measured: it costs the forward pass of VGG's 2x2 layers more than it saves the input
    gradient).

    The structure follows :func:`_structure` (the module docstring says what each does).
    """
    n, c = x.shape[:2]
    o, oh, ow = out.shape[1:]
    m, nt = k.tile, k.alpha ** 2
    th, tw = -(-oh // m), -(-ow // m)
    dt = x.dtype
    chunks = _chunks(n, th, tw, nt * (c + o) * dt.itemsize)
    if nt * c * n * th * tw * dt.itemsize > _KEEP_BYTES:
        keep = None
    # by filters, u is never given: forward passes leave no weight transform in the plan then
    structure = _structure(n, c, o, oh, ow, k, dt.itemsize)
    if structure == "samples" and any(ty1 - ty0 != th for _, _, ty0, ty1 in chunks):
        structure = "t"  # bands of tile rows, not whole samples (only with tiny chunks)
    by_filters = structure == "filters"
    if u is None and not by_filters:
        u = _transform_all(w, flip, k, save)
    if structure == "samples":
        winograd_samples.run(x, np.stack(u) if isinstance(u, list) else u, out, bias, relu,
                             ph, pw, k, chunks, keep)
        return out
    blocks = _blocks("input grad" if flip else "forward", o, c, nt, dt.itemsize)
    widest = max(b - a for a, b in blocks)
    for n0, n1, ty0, ty1 in chunks:
        tiles = (n1 - n0) * (ty1 - ty0) * tw
        vbuf, v = _t_major(c, tiles, dt, nt)
        band = (m * (ty1 - ty0) + 8, m * tw + 2)
        planes = split((n1 - n0) * c, _PLANE_ITEMS)
        parallel_items(len(planes), lambda buf, i: k.input(
            x, vbuf, buf, *planes[i], n0, ty0, ty1, tw, ph, pw, tiles),
            lambda: np.empty(band, dt))
        if keep is not None:
            keep.append(vbuf)
        if not by_filters:
            mbuf, mm = _t_major(o, tiles, dt, nt)
            if isinstance(u, list):  # the plan's (C, O) views of the F(2x2) transform
                parallel_items(nt, lambda _, t: np.matmul(u[t], v[t], out=mm[t]))
            else:
                _gemms_by_t(u, v, mm)
            planes = split((n1 - n0) * o, _PLANE_ITEMS)
            parallel_items(len(planes), lambda buf, i: k.output(
                mbuf, out, bias, relu, buf, *planes[i], n0, ty0, ty1, tw, tiles, 0, o),
                lambda: np.empty(band, dt))
            continue

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
            np.empty((nt, widest * c + 16), dt),
            np.empty((nt, widest * tiles + 16), dt), np.empty(band, dt)))
    return out


def _weight_key(w: np.ndarray) -> tuple:
    return (w.__array_interface__["data"][0], w.shape, w.strides, w.dtype.str)


# F(2x2, 3x3) of the 180-degree rotated filter: the points 0, 1, -1 and infinity map onto
# themselves under reversal (0 <-> infinity), so G rot(g) G^T is G g G^T with rows and columns
# 0 and 3 swapped: element t of the rotated transform is element _FLIP2[t] of the forward one.
_FLIP2 = tuple(4 * (3 - i if i in (0, 3) else i) + (3 - j if j in (0, 3) else j)
               for i in range(4) for j in range(4))


def forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, ph: int, pw: int,
            relu: bool = False, tile: int = 2, plan: dict | None = None) -> np.ndarray:
    """Stride-1 3x3 convolution of C-contiguous ``x`` (N, C, H, W) with C-contiguous ``w``
    (O, C, 3, 3) of the same dtype, padding ``(ph, pw)`` each in 0..2, plus ``bias`` (O,);
    ``relu`` applies max(., 0) to the result; ``tile`` 2 or 4: F(2x2, 3x3) or F(4x4, 3x3).

    ``plan``: a dict the caller keeps until :func:`backward_input` and :func:`backward_weight`
    of the same, unchanged ``w`` and ``x``. The F(2x2, 3x3) weight transform is left in it,
    and the input gradient reads its own (rotated, transposed) transform from it instead of
    computing one; the transformed input tiles are left in it for the weight gradient."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    out = np.empty((n, o, h + 2 * ph - 2, wd + 2 * pw - 2), x.dtype)
    b = np.zeros(o, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    k = _variant(tile)
    keep = save = None
    if plan is not None:
        if tile == 2 and _structure(n, c, o, *out.shape[2:], k, x.itemsize) != "filters":
            save, u = _t_major(o, c, x.dtype, k.alpha ** 2)
            plan["winograd2"] = (_weight_key(w), u)
        keep = []
        plan["winograd input"] = ((_weight_key(x), tile, int(ph), int(pw)), keep)
    return _run(x, w, False, out, b, bool(relu), int(ph), int(pw), k, keep, save=save)


def backward_input(grad_out: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], ph: int,
                   pw: int, tile: int = 2, plan: dict | None = None) -> np.ndarray:
    """Input gradient of :func:`forward` (C-contiguous arrays of one dtype): ``grad_out``
    convolved with the 180-degree rotated, in/out-swapped filters at padding ``2 - p``."""
    dx = np.empty(tuple(int(s) for s in x_shape), grad_out.dtype)
    saved = None if plan is None else plan.pop("winograd2", None)
    u = None
    if tile == 2 and saved is not None and saved[0] == _weight_key(w):
        u = [saved[1][_FLIP2[t]].T for t in range(16)]  # (C, O) views: BLAS transposes
    zero = np.zeros(dx.shape[1], grad_out.dtype)
    return _run(grad_out, w, True, dx, zero, False, 2 - int(ph), 2 - int(pw), _variant(tile),
                u=u)


def backward_weight(grad_out: np.ndarray, x: np.ndarray, ph: int, pw: int,
                    tile: int = 2, plan: dict | None = None) -> np.ndarray:
    """Weight gradient (O, C, 3, 3) of :func:`forward` (C-contiguous arrays of one dtype):
    ``G^T [sum over tiles (A dY A^T) (B^T d B)^T] G``, the alpha^2 sums as GEMMs over the tiles;
    ``B^T d B`` comes from the forward pass's ``plan`` when it holds that of this ``x``.

    Few tiles (small images: the weight dominates): items own blocks of filters, whose sums
    are inverse-transformed while in cache. Many tiles: an item per ``t`` sums over all
    filters (wider GEMMs: measured 1.1-1.2x faster at 8x8 and 16x16), then the inverse
    transform by blocks of filters. Chunks are added in order into each sum, which one item
    owns: the result is bit-identical whatever the thread count or timing.
    """
    n, c = x.shape[:2]
    o, oh, ow = grad_out.shape[1:]
    k = _variant(tile)
    m, nt = k.tile, k.alpha ** 2
    th, tw = -(-oh // m), -(-ow // m)
    dt = x.dtype
    chunks = _chunks(n, th, tw, nt * (c + o) * dt.itemsize)
    saved = None if plan is None else plan.pop("winograd input", None)
    kept = None
    if saved is not None and saved[0] == (_weight_key(x), tile, int(ph), int(pw)) \
            and len(saved[1]) == len(chunks):
        kept = saved[1]  # the forward pass's, chunk for chunk
    dw = np.empty((o, c, 3, 3), dt)
    by_filters = _structure(n, c, o, oh, ow, k, dt.itemsize) == "filters"  # else by t
    blocks = (_blocks("weight grad", o, c, nt, dt.itemsize) if by_filters
              else split(o, _PLANE_ITEMS))
    widest = max(b - a for a, b in blocks)
    # by filters with several chunks: each block's sums live across them; one chunk: in a
    # per-thread buffer. By t: one buffer of all sums.
    sums = [np.empty((nt, (b - a) * c + 16), dt) for a, b in blocks] \
        if by_filters and len(chunks) > 1 else None
    mbuf, msum = (None, None) if by_filters else _t_major(o, c, dt, nt)
    for index, (n0, n1, ty0, ty1) in enumerate(chunks):
        tiles = (n1 - n0) * (ty1 - ty0) * tw
        gbuf, g = _t_major(o, tiles, dt, nt)
        band = (m * (ty1 - ty0) + 2, m * tw + 2)
        if kept is not None:
            v = kept[index][:, :c * tiles].reshape(nt, c, tiles)
        else:
            vbuf, v = _t_major(c, tiles, dt, nt)
            planes = split((n1 - n0) * c, _PLANE_ITEMS)
            parallel_items(len(planes), lambda buf, i: k.input(
                x, vbuf, buf, *planes[i], n0, ty0, ty1, tw, int(ph), int(pw), tiles),
                lambda: np.empty(band, dt))
        planes = split((n1 - n0) * o, _PLANE_ITEMS)
        parallel_items(len(planes), lambda buf, i: k.grad_output(
            grad_out, gbuf, buf, *planes[i], n0, ty0, ty1, tw, tiles),
            lambda: np.empty(band, dt))
        first, last = index == 0, index == len(chunks) - 1
        if not by_filters:
            if first:
                _gemms_by_t(g, v.transpose(0, 2, 1), msum)
            else:
                parallel_items(nt, lambda tmp, t: msum[t].__iadd__(
                    np.matmul(g[t], v[t].T, out=tmp)), lambda: np.empty((o, c), dt))
            continue

        def block(state: tuple[np.ndarray, np.ndarray], i: int) -> None:
            own, tmp = state
            o0, o1 = blocks[i]
            bbuf = own if sums is None else sums[i]
            bsum = bbuf[:, :(o1 - o0) * c].reshape(nt, o1 - o0, c)
            if first:  # batched: see _run
                np.matmul(g[:, o0:o1], v.transpose(0, 2, 1), out=bsum)
            else:
                for t in range(nt):
                    bsum[t] += np.matmul(g[t, o0:o1], v[t].T, out=tmp[:o1 - o0])
            if last:
                k.weight_grad(bbuf, dw, o0, o1, o0)

        parallel_items(len(blocks), block, lambda: (
            np.empty((nt, widest * c + 16) if sums is None else 0, dt),
            np.empty((widest, c) if not first else 0, dt)))
    if not by_filters:
        parallel_items(len(blocks), lambda _, i: k.weight_grad(mbuf, dw, *blocks[i], 0))
    return dw
