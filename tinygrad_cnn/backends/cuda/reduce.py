"""Sum and max over any set of axes on the GPU, deterministic (no atomics).

The input is viewed as (kept axes) x (reduced axes), each group coalesced into as few axes
as possible. Two kernels: one thread per output walking its reduced elements (outputs are
many and adjacent outputs are adjacent in memory, so reads coalesce), or one block per
output with a shared-memory tree (few outputs, or the reduced axes are the innermost ones).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> to_numpy(sum(from_numpy(np.ones((2, 3, 4), np.float32)), (0, 2), False)).tolist()
    [8.0, 8.0, 8.0]
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numba import cuda

from ._common import (DIMS, THREADS, coalesce, contiguous_strides, empty, flat, kernel,
                      offset_of, padded, scalar)
from .array import copy, full

__all__ = ["sum", "max", "reduce_layout"]

_SUM, _MAX = 0, 1
_TYPES = ("float32", "float64", "int64")  # int64: counts and labels
_SIG = (f"void({{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, int64, {DIMS}, {DIMS}, int64, int64, "
        "int64, {t})")


@cuda.jit(device=True)
def _combine(op, acc, x):
    if op == _SUM:
        return acc + x
    # numpy's max: a NaN anywhere wins.
    return x if (x > acc or x != x) else acc


@kernel(_SIG, dtypes=_TYPES)
def _reduce_thread(a, out, kshape, kstr, nk, rshape, rstr, nr, nred, op, init):
    o = cuda.grid(1)
    if o < out.size:
        base = offset_of(o, kshape, kstr, nk)
        inner = rshape[nr - 1]
        step = rstr[nr - 1]
        acc = init
        # Walk the innermost reduced axis in a plain loop; divide only for the outer ones.
        for outer in range(nred // inner):
            p = base + offset_of(outer, rshape, rstr, nr - 1)
            for j in range(inner):
                acc = _combine(op, acc, a[p + j * step])
        out[o] = acc


@kernel(_SIG, dtypes=_TYPES)
def _reduce_block(a, out, kshape, kstr, nk, rshape, rstr, nr, nred, op, init):
    part = cuda.shared.array(THREADS, dtype=a.dtype)
    o = cuda.blockIdx.x
    t = cuda.threadIdx.x
    base = offset_of(o, kshape, kstr, nk)
    acc = init
    for r in range(t, nred, THREADS):
        acc = _combine(op, acc, a[base + offset_of(r, rshape, rstr, nr)])
    part[t] = acc
    cuda.syncthreads()
    half = THREADS // 2
    while half > 0:
        if t < half:
            part[t] = _combine(op, part[t], part[t + half])
        cuda.syncthreads()
        half //= 2
    if t == 0:
        out[o] = part[0]


def reduce_layout(shape: tuple[int, ...], axes: tuple[int, ...]):
    """(kept shape, kept strides, reduced shape, reduced strides), each group coalesced."""
    strides = contiguous_strides(shape)
    red = {ax % len(shape) for ax in axes}
    keep = [i for i in range(len(shape)) if i not in red]
    ks, kst = coalesce([shape[i] for i in keep], [strides[i] for i in keep])
    rs, rst = coalesce([shape[i] for i in sorted(red)], [strides[i] for i in sorted(red)])
    return ks, kst, rs, rst


def _reduce(a: Any, axes: tuple[int, ...], keepdims: bool, op: int, init: float) -> Any:
    ndim = len(a.shape)
    red = sorted({int(ax) % ndim for ax in axes}) if ndim else []
    if keepdims:
        out_shape = tuple(1 if i in red else n for i, n in enumerate(a.shape))
    else:
        out_shape = tuple(n for i, n in enumerate(a.shape) if i not in red)
    if not red:
        return copy(a)
    out = empty(out_shape, a.dtype)
    if out.size == 0:
        return out
    nred = a.size // out.size
    if nred == 0:
        # numpy: the sum of nothing is 0; the max of nothing is an error the op layer prevents.
        return full(out_shape, 0.0 if op == _SUM else init, a.dtype)
    ks, kst, rs, rst = reduce_layout(a.shape, tuple(red))
    args = (flat(a), flat(out), padded(ks, 1), padded(kst), len(ks), padded(rs, 1), padded(rst),
            len(rs), nred, op, scalar(a.dtype, init))
    inner_reduced = red[-1] == ndim - 1
    if nred >= 64 and (out.size < 1024 or inner_reduced):
        _reduce_block.grid((out.size,), (THREADS,), *args)
    else:
        _reduce_thread.launch(out.size, *args)
    return out


def sum(a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Sum over ``axes`` (numpy semantics, negative axes allowed).

    Example:
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
        >>> to_numpy(sum(from_numpy(np.ones((2, 3))), (-1,), True)).shape
        (2, 1)
    """
    return _reduce(a, axes, keepdims, _SUM, 0.0)


def max(a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Maximum over ``axes`` (NaN propagates, as in numpy)."""
    lowest = -math.inf if a.dtype.kind == "f" else int(np.iinfo(a.dtype).min)
    return _reduce(a, axes, keepdims, _MAX, lowest)
