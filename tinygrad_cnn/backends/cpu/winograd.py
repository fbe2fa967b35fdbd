"""Winograd minimal filtering F(2x2, 3x3) for stride-1, undilated, ungrouped 3x3 convolutions.

Every 2x2 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for its 4x4 input tile ``d``: 16
multiplies per (tile, input channel, filter) instead of 36. Summed over the input channels the
16 element-wise products become 16 independent GEMMs ``M[t] = U[t] @ V[t]`` with
``U[t]`` (O, C) the transformed filters and ``V[t]`` (C, tiles) the transformed input tiles;
those run in BLAS, the transforms are serial ``nogil`` Numba kernels.

The batch is cut into chunks of whole samples (or one sample's band of tile rows for large
images) so that a chunk's ``V`` and ``M`` stay within a few MB. A call runs one of three
structures (:func:`_structure`), each in parallel phases (:mod:`.winograd_phases`):

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

The items call single-threaded BLAS (:mod:`._threads` says why: multi-threaded BLAS next to
Numba kernels stalls on spinning threads): in float32 inside Numba parallel loops, calling
``cblas_sgemm`` from Numba (:mod:`._blas`: no GIL hand-over per item), otherwise on Python
threads calling numpy. Chunks and items are sized from the shapes only, never from the thread
count, and every output element is computed by one fixed sequence of operations: results are
the same for any number of threads, run to run.

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

from . import winograd_f2, winograd_f4, winograd_phases as phases, winograd_samples
from ._threads import item_ranges, split

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
    phases.weights(k, w, buf, split(o, _PLANE_ITEMS), flip)
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
    ``u``: the transformed filters as (out, in) matrices per ``t``, when the caller has them
    (``(array, order)``: matrix ``t`` is ``array[order[t]]``);
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
        winograd_samples.run(x, u[0][u[1]] if isinstance(u, tuple) else u, out, bias, relu,
                             ph, pw, k, chunks, keep)
        return out
    blocks = _blocks("input grad" if flip else "forward", o, c, nt, dt.itemsize)
    for n0, n1, ty0, ty1 in chunks:
        tiles = (n1 - n0) * (ty1 - ty0) * tw
        vbuf, v = _t_major(c, tiles, dt, nt)
        band = (m * (ty1 - ty0) + 8, m * tw + 2)
        phases.inputs(k, x, vbuf, split((n1 - n0) * c, _PLANE_ITEMS), n0, ty0, ty1, tw, ph,
                      pw, tiles, band)
        if keep is not None:
            keep.append(vbuf)
        if by_filters:
            phases.filter_blocks(k, w, flip, v, out, bias, relu, blocks, n0, n1, ty0, ty1, tw,
                                 band)
            continue
        mbuf, mm = _t_major(o, tiles, dt, nt)
        if isinstance(u, tuple):  # the plan's (C, O) views of the F(2x2) transform: a GEMM
            phases.gemms(u[0], v, mm, split(nt, nt), u[1])  # per t, as they are permuted
        else:
            phases.gemms(u, v, mm, split(nt, _GEMM_ITEMS))
        phases.outputs(k, mbuf, out, bias, relu, split((n1 - n0) * o, _PLANE_ITEMS), n0, ty0,
                       ty1, tw, tiles, band)
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
        # (C, O) views, permuted: BLAS transposes
        u = (saved[1].transpose(0, 2, 1), np.array(_FLIP2, np.int64))
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
    sums = np.empty((len(blocks), nt, widest * c + 16), dt) \
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
            phases.inputs(k, x, vbuf, split((n1 - n0) * c, _PLANE_ITEMS), n0, ty0, ty1, tw,
                          int(ph), int(pw), tiles, band)
        phases.grad_outputs(k, grad_out, gbuf, split((n1 - n0) * o, _PLANE_ITEMS), n0, ty0,
                            ty1, tw, tiles, band)
        first, last = index == 0, index == len(chunks) - 1
        if by_filters:
            phases.weight_grad_blocks(k, g, v, sums, dw, blocks, first, last)
        elif first:
            phases.gemms(g, v.transpose(0, 2, 1), msum, split(nt, _GEMM_ITEMS))
        else:  # an item per t, each adding its product to the sum
            phases.gemms(g, v.transpose(0, 2, 1), msum, split(nt, nt), accumulate=True)
    if not by_filters:
        phases.weight_grads(k, mbuf, dw, blocks)
    return dw
