"""Reshape, permute, broadcast, pad and indexing on the GPU; every result is a new array.

Permute, broadcast and basic indexing (ints, slices, None, Ellipsis) are one *gather*
kernel: the output is C-contiguous and each thread reads its element through a strided view
of the input (shape, strides and start offset, computed on the host). The backward of basic
indexing is the matching *scatter* into zeros. Indexing with integer or boolean arrays
(fancy indexing) falls back to the host, as it is rare in a CNN.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> a = from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> to_numpy(permute(a, (1, 0))).tolist()
    [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from ._common import (DIMS, coalesce, contiguous_strides, empty, flat, is_device_array, kernel,
                      offset_of, padded, scalar, size_of)
from .array import copy, from_numpy, to_numpy, zeros

__all__ = ["reshape", "permute", "broadcast_to", "pad", "getitem", "getitem_backward",
           "take_along_class"]

_TYPES = ("float32", "float64", "int64")


@kernel(f"void({{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, int64, int64)", dtypes=_TYPES)
def _gather(a, out, shape, strides, ndim, base):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[base + offset_of(i, shape, strides, ndim)]


@kernel(f"void({{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, int64, int64)", dtypes=_TYPES)
def _scatter(src, out, shape, strides, ndim, base):
    # Basic indexing never repeats an element, so each thread owns its target.
    i = cuda.grid(1)
    if i < src.size:
        out[base + offset_of(i, shape, strides, ndim)] = src[i]


@kernel(f"void({{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, {DIMS}, int64, {{t}})", dtypes=_TYPES)
def _pad(a, out, oshape, ishape, before, ndim, value):
    i = cuda.grid(1)
    if i < out.size:
        rem = i
        off = 0
        mul = 1
        inside = True
        for d in range(ndim - 1, -1, -1):
            idx = rem % oshape[d] - before[d]
            rem //= oshape[d]
            if idx < 0 or idx >= ishape[d]:
                inside = False
            off += idx * mul
            mul *= ishape[d]
        out[i] = a[off] if inside else value


@kernel("void({t}[:, ::1], int64[::1], {t}[::1])")
def _take_rows(a, target, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i, target[i]]


def _gather_view(a: Any, shape: tuple[int, ...], strides: tuple[int, ...], base: int) -> Any:
    out = empty(shape, a.dtype)
    dims, st = coalesce(shape, strides)
    _gather.launch(out.size, flat(a), flat(out), padded(dims, 1), padded(st), len(dims), base)
    return out


def _resolve(shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    """``shape`` with a single ``-1`` entry filled in; ``ValueError`` when sizes differ."""
    if shape.count(-1) == 1:
        known = size_of(s for s in shape if s != -1)
        if known and size % known == 0:
            shape = tuple(size // known if s == -1 else s for s in shape)
    if size_of(shape) != size or any(s < 0 for s in shape):
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    return shape


def reshape(a: Any, shape: tuple[int, ...]) -> Any:
    """A copy of ``a`` with a new shape (``-1`` allowed once)."""
    shape = _resolve(tuple(int(s) for s in shape), a.size)
    return copy(a).reshape(shape) if shape != a.shape else copy(a)


def permute(a: Any, axes: tuple[int, ...]) -> Any:
    """``a`` with its axes reordered, as a new C-contiguous array."""
    axes = tuple(int(ax) % a.ndim for ax in axes)
    strides = contiguous_strides(a.shape)
    return _gather_view(a, tuple(a.shape[ax] for ax in axes), tuple(strides[ax] for ax in axes), 0)


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    """``a`` broadcast to ``shape`` (numpy rules) and materialised."""
    shape = tuple(int(s) for s in shape)
    np.broadcast_shapes(a.shape, shape)  # raises numpy's error on a mismatch
    lead = len(shape) - a.ndim
    src = contiguous_strides(a.shape)
    strides = [0] * lead + [0 if n == 1 and s != 1 else st
                            for n, s, st in zip(a.shape, shape[lead:], src)]
    return _gather_view(a, shape, tuple(strides), 0)


def pad(a: Any, pads: tuple[tuple[int, int], ...], value: float) -> Any:
    """Constant padding with one ``(before, after)`` pair per axis."""
    before = [int(p[0]) for p in pads]
    oshape = tuple(n + int(p[0]) + int(p[1]) for n, p in zip(a.shape, pads))
    out = empty(oshape, a.dtype)
    _pad.launch(out.size, flat(a), flat(out), padded(oshape, 1), padded(a.shape, 1),
                padded(before), a.ndim, scalar(a.dtype, value))
    return out


def _is_basic(index: tuple) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))
               and not isinstance(i, (bool, np.bool_)) for i in index)


def _as_tuple(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _basic_view(shape: tuple[int, ...], index: tuple) -> tuple[tuple, tuple, int]:
    """Shape, element strides and start offset of ``x[index]`` for a C-contiguous ``x``.

    numpy does the index arithmetic on a fake view whose "bytes" are elements (int8 items
    with element strides over a one-byte buffer); nothing is read, so nothing is allocated.
    """
    anchor = np.zeros(1, np.int8)
    fake = np.lib.stride_tricks.as_strided(anchor, shape, contiguous_strides(shape))
    if not any(i is Ellipsis for i in index):
        index = index + (Ellipsis,)  # keeps an all-integer index a (0-d) view
    view = fake[index]
    base = view.__array_interface__["data"][0] - anchor.__array_interface__["data"][0]
    return view.shape, view.strides, base


def _host_index(index: tuple) -> tuple:
    return tuple(to_numpy(i) if is_device_array(i) else i for i in index)


def getitem(a: Any, index: Any) -> Any:
    """``a[index]`` with numpy semantics, as a new array.

    Basic indices run as one gather kernel; integer or boolean array indices go through
    the host.

    Example:
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
        >>> to_numpy(getitem(from_numpy(np.arange(5.0)), slice(None, None, -2))).tolist()
        [4.0, 2.0, 0.0]
    """
    index = _as_tuple(index)
    if not _is_basic(index):
        return from_numpy(np.array(to_numpy(a)[_host_index(index)], order="C"))
    shape, strides, base = _basic_view(a.shape, index)
    return _gather_view(a, shape, strides, base)


def getitem_backward(grad: Any, shape: tuple[int, ...], index: Any) -> Any:
    """Zeros of ``shape`` with ``grad`` added at ``index`` (repeated fancy indices add up)."""
    shape = tuple(int(s) for s in shape)
    index = _as_tuple(index)
    if not _is_basic(index):
        out = np.zeros(shape, grad.dtype)
        np.add.at(out, _host_index(index), to_numpy(grad))
        return from_numpy(out)
    out = zeros(shape, grad.dtype)
    vshape, strides, base = _basic_view(shape, index)
    if size_of(vshape):
        dims, st = coalesce(vshape, strides)
        _scatter.launch(grad.size, flat(grad), flat(out), padded(dims, 1), padded(st), len(dims),
                        base)
    return out


def take_along_class(a: Any, target: Any) -> Any:
    """``a[i, target[i]]`` for a 2-D ``a`` and an int64 ``target`` of length ``a.shape[0]``."""
    if isinstance(target, np.ndarray):
        target = from_numpy(target.astype(np.int64))
    out = empty((a.shape[0],), a.dtype)
    _take_rows.launch(out.size, a, target, out)
    return out
