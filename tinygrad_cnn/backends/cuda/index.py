"""``gather`` along one axis, its scatter-add backward, and ``one_hot`` on the GPU.

``gather``: one thread per index element reads its source. The backward owns its outputs:
one thread per element of the result walks the index entries of its line along the axis
and adds the gradient of every one that points at it, in index order, so repeated indices
accumulate without atomics and the sum is deterministic. Other dtypes than float32, float64
and int64 travel as int64.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> a = from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> to_numpy(gather(a, 1, from_numpy(np.array([[1], [0]])))).tolist()
    [[2.0], [3.0]]
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from ._cast import HUBS
from ._common import DIMS, contiguous_strides, empty, flat, kernel, padded
from .array import astype, zeros

__all__ = ["gather", "gather_backward", "one_hot", "take", "take_backward",
           "flatnonzero"]

_TYPES = ("float32", "float64", "int64")


@kernel(f"void({{t}}[::1], int64[::1], {{t}}[::1], {DIMS}, {DIMS}, int64, int64, int64)",
        dtypes=_TYPES)
def _gather(a, index, out, ishape, astrides, ndim, axis, n):
    p = cuda.grid(1)
    if p < out.size:
        rem = p
        off = 0
        for d in range(ndim - 1, -1, -1):
            c = rem % ishape[d]
            rem //= ishape[d]
            if d == axis:
                c = index[p]
                if c < 0:
                    c += n
            off += c * astrides[d]
        out[p] = a[off]


@kernel(f"void({{t}}[::1], int64[::1], {{t}}[::1], {DIMS}, {DIMS}, {DIMS}, int64, int64)",
        dtypes=_TYPES)
def _scatter_add(grad, index, out, oshape, ishape, istrides, ndim, axis):
    p = cuda.grid(1)
    if p < out.size:
        rem = p
        base = 0
        target = 0
        inside = True
        for d in range(ndim - 1, -1, -1):
            c = rem % oshape[d]
            rem //= oshape[d]
            if d == axis:
                target = c
            elif c < ishape[d]:
                base += c * istrides[d]
            else:
                inside = False
        acc = out[p]
        if inside:
            n = oshape[axis]
            for j in range(ishape[axis]):
                q = base + j * istrides[axis]
                k = index[q]
                if k < 0:
                    k += n
                if k == target:
                    acc += grad[q]
        out[p] = acc


@kernel("void(int64[::1], int64[::1], int64)", dtypes=())
def _one_hot(index, out, classes):
    p = cuda.grid(1)
    if p < out.size:
        out[p] = 1 if index[p // classes] == p % classes else 0


@kernel("void({t}[::1], int64[::1], {t}[::1], int64, int64)", dtypes=_TYPES)
def _take(a, index, out, inner, n):
    p = cuda.grid(1)
    if p < out.size:
        i = index[p // inner]
        if i < 0:
            i += n
        out[p] = a[i * inner + p % inner]


@kernel("void({t}[::1], int64[::1], {t}[::1], int64, int64)", dtypes=_TYPES)
def _take_backward(grad, index, out, inner, n):
    p = cuda.grid(1)
    if p < out.size:
        row = p // inner
        j = p % inner
        acc = out[p]
        for r in range(index.size):
            i = index[r]
            if i < 0:
                i += n
            if i == row:
                acc += grad[r * inner + j]
        out[p] = acc


@kernel("void(int64[::1], int64[::1], int64[::1])", dtypes=())
def _compact(mask, ends, out):
    # ends: the running count of non-zero entries up to and including i
    i = cuda.grid(1)
    if i < mask.size and mask[i] != 0:
        out[ends[i] - 1] = i


def _hub(a: Any) -> Any:
    return a if a.dtype.name in HUBS else astype(a, np.int64)


def gather(a: Any, axis: int, index: Any) -> Any:
    """``out[..i..] = a[..index[..i..]..]`` along ``axis`` (``torch.gather``)."""
    x = _hub(a)
    out = empty(index.shape, x.dtype)
    _gather.launch(out.size, flat(x), flat(index), flat(out), padded(index.shape, 1),
                   padded(contiguous_strides(a.shape)), a.ndim, int(axis), int(a.shape[axis]))
    return out if out.dtype == a.dtype else astype(out, a.dtype)


def gather_backward(grad: Any, axis: int, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``grad`` added where :func:`gather` read (deterministic)."""
    g = _hub(grad)
    out = zeros(tuple(int(s) for s in shape), g.dtype)
    if index.size:
        _scatter_add.launch(out.size, flat(g), flat(index), flat(out), padded(shape, 1),
                            padded(index.shape, 1), padded(contiguous_strides(index.shape)),
                            len(shape), int(axis))
    return out if out.dtype == grad.dtype else astype(out, grad.dtype)


def one_hot(index: Any, num_classes: int) -> Any:
    """int64 ``(*index.shape, num_classes)`` rows with a 1 at each class index."""
    out = empty(tuple(index.shape) + (int(num_classes),), np.int64)
    _one_hot.launch(out.size, flat(_hub(index)), flat(out), int(num_classes))
    return out


def take(a: Any, index: Any) -> Any:
    """Rows ``a[index]`` for a 1-D int64 ``index`` (negative entries count from the end)."""
    x = _hub(a)
    out = empty((index.size,) + tuple(a.shape[1:]), x.dtype)
    inner = out.size // index.size if index.size else 0
    _take.launch(out.size, flat(x), flat(index), flat(out), inner, int(a.shape[0]))
    return out if out.dtype == a.dtype else astype(out, a.dtype)


def take_backward(grad: Any, index: Any, n: int) -> Any:
    """Zeros of ``(n, *grad.shape[1:])`` with ``grad[r]`` added to row ``index[r]``."""
    g = _hub(grad)
    out = zeros((int(n),) + tuple(grad.shape[1:]), g.dtype)
    inner = out.size // int(n) if n else 0
    if index.size:
        _take_backward.launch(out.size, flat(g), flat(index), flat(out), inner, int(n))
    return out if out.dtype == grad.dtype else astype(out, grad.dtype)


def flatnonzero(mask: Any, count: int) -> Any:
    """Positions of the non-zero entries of a 1-D ``mask``: the running count (a scan) of the
    0/1 flags gives each one its slot, then one thread per entry writes its position there."""
    from .compare import compare
    from .scan import cumsum
    flags = astype(compare(mask, zeros((), np.int64), "!="), np.int64)
    out = empty((int(count),), np.int64)
    if count:
        _compact.launch(flags.size, flags, cumsum(flags, 0, False), out)
    return out
