"""Arg-reductions and the stable sort along one axis on the GPU.

An array is seen as (outer, n, inner) around the axis. ``argmax``/``argmin`` run one thread
per (outer, inner) line, walking its ``n`` elements. ``sort`` is a rank sort: one thread per
element counts the elements that go before it in its line (smaller, or equal and earlier:
stable) and writes itself at that rank; O(n) per thread, no shared state, deterministic.
NaN counts as the largest value, as in PyTorch. Other dtypes than float32, float64 and
int64 are sorted as int64 (order-preserving) and cast back.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> v, i = sort(from_numpy(np.array([[3.0, 1.0, 3.0, 2.0]])), 1, True)
    >>> to_numpy(v).tolist(), to_numpy(i).tolist()
    ([[3.0, 3.0, 2.0, 1.0]], [[0, 2, 3, 1]])
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from ._cast import HUBS
from ._common import empty, flat, kernel, size_of
from .array import astype

__all__ = ["argmax", "argmin", "sort"]

_TYPES = ("float32", "float64", "int64")


def line_layout(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """(outer, n, inner) of a C-contiguous array of ``shape`` around ``axis``."""
    return size_of(shape[:axis]), int(shape[axis]), size_of(shape[axis + 1:])


@cuda.jit(device=True)
def _less(x, y):
    # x < y with NaN the largest value (two NaNs are equal)
    return x < y or (y != y and x == x)


@kernel("void({t}[::1], int64[::1], int64, int64, boolean)", dtypes=_TYPES)
def _arg_line(a, out, n, inner, largest):
    o = cuda.grid(1)
    if o < out.size:
        base = (o // inner) * n * inner + o % inner
        best = a[base]
        k = 0
        for j in range(1, n):
            x = a[base + j * inner]
            if largest:
                better = _less(best, x)
            else:
                better = (x != x and best == best) or x < best
            if better:
                best = x
                k = j
        out[o] = k


@kernel("void({t}[::1], {t}[::1], int64[::1], int64, int64, boolean)", dtypes=_TYPES)
def _rank_sort(a, values, indices, n, inner, descending):
    p = cuda.grid(1)
    if p < a.size:
        i = (p // inner) % n
        base = p - i * inner
        x = a[p]
        rank = 0
        for j in range(n):
            y = a[base + j * inner]
            if descending:
                before = _less(x, y) or (j < i and not _less(y, x))
            else:
                before = _less(y, x) or (j < i and not _less(x, y))
            if before:
                rank += 1
        values[base + rank * inner] = x
        indices[base + rank * inner] = i


def _hub(a: Any) -> Any:
    return a if a.dtype.name in HUBS else astype(a, np.int64)


def _arg(a: Any, axis: int, largest: bool) -> Any:
    outer, n, inner = line_layout(a.shape, axis)
    out = empty(a.shape[:axis] + a.shape[axis + 1:], np.int64)
    if n:
        _arg_line.launch(out.size, flat(_hub(a)), flat(out), n, inner, largest)
    return out


def argmax(a: Any, axis: int) -> Any:
    """int64 index of the first maximum along ``axis``; a NaN is the maximum."""
    return _arg(a, int(axis), True)


def argmin(a: Any, axis: int) -> Any:
    """int64 index of the first minimum along ``axis``; a NaN is the minimum."""
    return _arg(a, int(axis), False)


def sort(a: Any, axis: int, descending: bool) -> tuple[Any, Any]:
    """Stable sort along ``axis``: ``(values, int64 indices)``; NaN is the largest value."""
    axis = int(axis)
    x = _hub(a)
    _, n, inner = line_layout(a.shape, axis)
    values, indices = empty(a.shape, x.dtype), empty(a.shape, np.int64)
    _rank_sort.launch(x.size, flat(x), flat(values), flat(indices), n, inner, bool(descending))
    return (values if values.dtype == a.dtype else astype(values, a.dtype)), indices
