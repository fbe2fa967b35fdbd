"""Winograd minimal filtering F(2x2, 3x3) for stride-1, undilated, ungrouped 3x3 convolutions.

Every 2x2 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for its 4x4 input tile ``d``: 16
multiplies per (tile, input channel, filter) instead of 36. Summed over the input channels the
16 element-wise products become 16 independent GEMMs ``M[t] = U[t] @ V[t]`` with
``U[t]`` (O, C) the transformed filters and ``V[t]`` (C, tiles) the transformed input tiles;
those run in BLAS (``np.matmul``), the transforms are serial ``nogil`` Numba kernels.

The batch is cut into chunks of whole samples (or one sample's band of tile rows for large
images) so that a chunk's ``V`` and ``M`` stay within a few MB; per chunk three phases run on
:func:`._threads.parallel_items`: input transform (items own (sample, channel) planes of ``V``),
the 16 GEMMs (items own one ``t``), output transform (items own (sample, filter) planes of the
result). The phases use Python threads with single-threaded BLAS rather than a Numba ``prange``
pool, like the im2col path (:mod:`._threads` says why: prange kernels next to BLAS calls stall
on spinning threads). Chunks and items are sized from the shapes only, never from the thread count, and every
output element is computed by one fixed sequence of operations: results are the same for any
number of threads, run to run.

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

from . import winograd_f2, winograd_f4
from ._threads import parallel_items

__all__ = ["forward", "backward_input", "backward_weight", "supports", "TILES"]

#: Output tile sides of the variants: F(2x2, 3x3) and F(4x4, 3x3) (:mod:`.winograd_f4`).
TILES = (2, 4)

# Bytes of a chunk's V and M together. At 16 MB a chunk of VGG-11's deep CIFAR layers is the
# whole batch (one set of phase joins, the widest GEMMs); not tuned further: the machine of the
# session that wrote this was too loaded to measure alternatives apart.
_CHUNK_BYTES = 16 << 20
_PLANE_ITEMS = 16  # items per transform phase (fixed: results must not depend on threads)
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


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    step = -(-total // max(1, min(parts, total)))
    return [(a, min(a + step, total)) for a in range(0, total, step)]


def _t_major(rows: int, cols: int, dt: np.dtype,
             nt: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """An uninitialised C-contiguous (nt, rows*cols + 16) buffer for the kernels and its
    (nt, rows, cols) view for the GEMMs (``nt``: elements of a transformed tile). The 16 extra
    elements keep the streams a transform reads or writes out of the same cache sets when
    sizes are powers of two (measured 4-7x slower transforms without them)."""
    size = rows * cols
    buf = np.empty((nt, size + 16), dt)
    return buf, buf[:, :size].reshape(nt, rows, cols)


def _transform_weight(w: np.ndarray, flip: bool, k: _Kernels) -> np.ndarray:
    """``U`` (alpha^2, O, C) of the OIHW 3x3 weight (rotated by 180 degrees if ``flip``)."""
    buf, u = _t_major(w.shape[0], w.shape[1], w.dtype, k.alpha ** 2)
    parts = _split(w.shape[0], _PLANE_ITEMS)
    parallel_items(len(parts), lambda _, i: k.weight(w, buf, *parts[i], flip))
    return u


def _run(x: np.ndarray, u: np.ndarray, out: np.ndarray, bias: np.ndarray, relu: bool,
         ph: int, pw: int, k: _Kernels, keep: list | None = None) -> np.ndarray:
    """Convolve ``x`` (N, C, H, W) into ``out`` (N, O, OH, OW) given the transformed filters
    ``u[t]`` (O, C) (any BLAS-compatible strides); ``keep``: a list that receives every chunk's
    transformed input (the weight gradient's chunks are the same) when all of it is at most
    _KEEP_BYTES (large images keep nothing: a recorded graph must not hold 2-4x its
    activations)."""
    n, c = x.shape[:2]
    o, oh, ow = out.shape[1:]
    m, nt = k.tile, k.alpha ** 2
    th, tw = -(-oh // m), -(-ow // m)
    dt = x.dtype
    chunks = _chunks(n, th, tw, nt * (c + o) * dt.itemsize)
    if nt * c * n * th * tw * dt.itemsize > _KEEP_BYTES:
        keep = None
    for n0, n1, ty0, ty1 in chunks:
        tiles = (n1 - n0) * (ty1 - ty0) * tw
        (vbuf, v), (mbuf, mm) = _t_major(c, tiles, dt, nt), _t_major(o, tiles, dt, nt)
        band = (m * (ty1 - ty0) + 8, m * tw + 2)
        planes = _split((n1 - n0) * c, _PLANE_ITEMS)
        parallel_items(len(planes), lambda buf, i: k.input(
            x, vbuf, buf, *planes[i], n0, ty0, ty1, tw, ph, pw, tiles),
            lambda: np.empty(band, dt))
        if keep is not None:
            keep.append(vbuf)
        parallel_items(nt, lambda _, t: np.matmul(u[t], v[t], out=mm[t]))
        planes = _split((n1 - n0) * o, _PLANE_ITEMS)
        parallel_items(len(planes), lambda buf, i: k.output(
            mbuf, out, bias, relu, buf, *planes[i], n0, ty0, ty1, tw, tiles),
            lambda: np.empty(band, dt))
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
    n, _, h, wd = x.shape
    o = w.shape[0]
    out = np.empty((n, o, h + 2 * ph - 2, wd + 2 * pw - 2), x.dtype)
    b = np.zeros(o, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    k = _variant(tile)
    u = _transform_weight(w, False, k)
    keep = None
    if plan is not None:
        if tile == 2:
            plan["winograd2"] = (_weight_key(w), u)
        keep = []
        plan["winograd input"] = ((_weight_key(x), tile, int(ph), int(pw)), keep)
    return _run(x, u, out, b, bool(relu), int(ph), int(pw), k, keep)


def backward_input(grad_out: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], ph: int,
                   pw: int, tile: int = 2, plan: dict | None = None) -> np.ndarray:
    """Input gradient of :func:`forward` (C-contiguous arrays of one dtype): ``grad_out``
    convolved with the 180-degree rotated, in/out-swapped filters at padding ``2 - p``."""
    dx = np.empty(tuple(int(s) for s in x_shape), grad_out.dtype)
    k = _variant(tile)
    saved = None if plan is None else plan.pop("winograd2", None)
    if tile == 2 and saved is not None and saved[0] == _weight_key(w):
        u = [saved[1][_FLIP2[t]].T for t in range(16)]  # (C, O) views: BLAS transposes
    else:
        u = _transform_weight(w, True, k).transpose(0, 2, 1)
    zero = np.zeros(dx.shape[1], grad_out.dtype)
    return _run(grad_out, u, dx, zero, False, 2 - int(ph), 2 - int(pw), k)


def backward_weight(grad_out: np.ndarray, x: np.ndarray, ph: int, pw: int,
                    tile: int = 2, plan: dict | None = None) -> np.ndarray:
    """Weight gradient (O, C, 3, 3) of :func:`forward` (C-contiguous arrays of one dtype):
    ``G^T [sum over tiles (A dY A^T) (B^T d B)^T] G``, the alpha^2 sums as GEMMs over the tiles;
    ``B^T d B`` comes from the forward pass's ``plan`` when it holds that of this ``x``.

    Chunks are added in order into each ``t``'s sum, which one item owns: the result is
    bit-identical whatever the thread count or timing.
    """
    n, c = x.shape[:2]
    o, oh, ow = grad_out.shape[1:]
    k = _variant(tile)
    m, nt = k.tile, k.alpha ** 2
    th, tw = -(-oh // m), -(-ow // m)
    dt = x.dtype
    mbuf, msum = _t_major(o, c, dt, nt)
    chunks = _chunks(n, th, tw, nt * (c + o) * dt.itemsize)
    saved = None if plan is None else plan.pop("winograd input", None)
    kept = None
    if saved is not None and saved[0] == (_weight_key(x), tile, int(ph), int(pw)) \
            and len(saved[1]) == len(chunks):
        kept = saved[1]
    first = True
    for index, (n0, n1, ty0, ty1) in enumerate(chunks):
        tiles = (n1 - n0) * (ty1 - ty0) * tw
        (gbuf, g) = _t_major(o, tiles, dt, nt)
        band = (m * (ty1 - ty0) + 2, m * tw + 2)
        if kept is not None:  # the forward pass's, chunk for chunk
            v = kept[index][:, :c * tiles].reshape(nt, c, tiles)
        else:
            vbuf, v = _t_major(c, tiles, dt, nt)
            planes = _split((n1 - n0) * c, _PLANE_ITEMS)
            parallel_items(len(planes), lambda buf, i: k.input(
                x, vbuf, buf, *planes[i], n0, ty0, ty1, tw, int(ph), int(pw), tiles),
                lambda: np.empty(band, dt))
        planes = _split((n1 - n0) * o, _PLANE_ITEMS)
        parallel_items(len(planes), lambda buf, i: k.grad_output(
            grad_out, gbuf, buf, *planes[i], n0, ty0, ty1, tw, tiles),
            lambda: np.empty(band, dt))
        if first:
            parallel_items(nt, lambda _, t: np.matmul(g[t], v[t].T, out=msum[t]))
        else:
            parallel_items(nt, lambda tmp, t: msum[t].__iadd__(
                np.matmul(g[t], v[t].T, out=tmp)), lambda: np.empty((o, c), dt))
        first = False
    dw = np.empty((o, c, 3, 3), dt)
    parts = _split(o, _PLANE_ITEMS)
    parallel_items(len(parts), lambda _, i: k.weight_grad(mbuf, dw, *parts[i]))
    return dw
