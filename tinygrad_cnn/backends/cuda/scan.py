"""Scans and products along one axis, and the logical reductions, on the GPU.

The scans run one thread per (outer, inner) line (see :func:`.sort.line_layout`), walking
its elements in order: sequential within a line, so results are deterministic and equal the
CPU's for integers. ``all``/``any`` are the int64 max-reduction over a 0/1 array. Other
dtypes than float32, float64 and int64 are widened to int64 and cast back (exact modulo
``2**bits``, as the CPU's narrow arithmetic).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> to_numpy(cumsum(from_numpy(np.array([[1, 2], [3, 4]])), 0, False)).tolist()
    [[1, 2], [4, 6]]
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from . import reduce as _rd
from ._cast import HUBS
from ._common import empty, flat, kernel, scalar
from .array import astype
from .intmath import full
from .elementwise import scalar_op
from .sort import line_layout

__all__ = ["cumsum", "prod", "cumprod_exclusive", "all", "any"]

_TYPES = ("float32", "float64", "int64")
_CUMSUM, _PROD, _CUMPROD_EXCL = range(3)


@kernel("void({t}[::1], {t}[::1], int64, int64, int64, boolean, {t})", dtypes=_TYPES)
def _scan_line(a, out, n, inner, op, reverse, init):
    o = cuda.grid(1)
    lines = a.size // n
    if o < lines:
        base = (o // inner) * n * inner + o % inner
        acc = init
        for step in range(n):
            j = n - 1 - step if reverse else step
            x = a[base + j * inner]
            if op == _CUMSUM:
                acc += x
                out[base + j * inner] = acc
            elif op == _CUMPROD_EXCL:
                out[base + j * inner] = acc
                acc *= x
            else:
                acc *= x
        if op == _PROD:
            out[o] = acc


def _run(a: Any, axis: int, op: int, reverse: bool, out_shape: tuple[int, ...]) -> Any:
    x = a if a.dtype.name in HUBS else astype(a, np.int64)
    _, n, _ = line_layout(a.shape, axis)
    if n == 0:
        out = full(out_shape, 1 if op == _PROD else 0, x.dtype)
    else:
        inner = line_layout(a.shape, axis)[2]
        out = empty(out_shape, x.dtype)
        init = scalar(x.dtype, 0 if op == _CUMSUM else 1)
        _scan_line.launch(x.size // n, flat(x), flat(out), n, inner, op, bool(reverse), init)
    return out if out.dtype == a.dtype else astype(out, a.dtype)


def cumsum(a: Any, axis: int, reverse: bool) -> Any:
    """Running sum along ``axis`` in ``a``'s dtype (from the end when ``reverse``)."""
    return _run(a, int(axis), _CUMSUM, reverse, tuple(a.shape))


def prod(a: Any, axis: int, keepdims: bool) -> Any:
    """Product along ``axis`` in ``a``'s dtype (1 over an empty axis)."""
    axis = int(axis)
    shape = tuple(1 if k == axis else s for k, s in enumerate(a.shape)) if keepdims else \
        tuple(a.shape[:axis] + a.shape[axis + 1:])
    return _run(a, axis, _PROD, False, shape)


def cumprod_exclusive(a: Any, axis: int, reverse: bool) -> Any:
    """Product of the elements strictly before (after, with ``reverse``) each one."""
    return _run(a, int(axis), _CUMPROD_EXCL, reverse, tuple(a.shape))


def _nonzero01(a: Any) -> Any:
    return astype(astype(a, np.bool_), np.int64)


def _logic(a: Any, axes: tuple[int, ...], keepdims: bool, empty_value: bool,
           flip: bool) -> Any:
    axes = tuple(int(ax) % a.ndim for ax in axes) if a.ndim else ()
    shape = tuple(1 if k in axes else s for k, s in enumerate(a.shape)) if keepdims else \
        tuple(s for k, s in enumerate(a.shape) if k not in axes)
    x = _nonzero01(a)
    if flip:                                    # all(x) == not any(not x)
        x = scalar_op(x, "-", 1, reverse=True)
    if not axes:
        m = x
    elif x.size == 0:
        return full(shape, empty_value, np.bool_)
    else:
        m = _rd.max(x, axes, keepdims)
    if flip:
        m = scalar_op(m, "-", 1, reverse=True)
    return astype(m, np.bool_)


def all(a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:  # noqa: A001
    """bool: every element over ``axes`` is non-zero (True over nothing)."""
    return _logic(a, tuple(axes), keepdims, True, True)


def any(a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:  # noqa: A001
    """bool: some element over ``axes`` is non-zero (False over nothing)."""
    return _logic(a, tuple(axes), keepdims, False, False)
