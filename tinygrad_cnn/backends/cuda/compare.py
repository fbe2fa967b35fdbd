"""Comparisons with a bool result on the GPU: one broadcasting kernel per hub dtype, the op a
uniform integer switch; other dtypes compare as int64 (exact).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> to_numpy(compare(from_numpy(np.array([1.0, np.nan, 3.0])), from_numpy(np.array(2.0)),
    ...                  "<")).tolist()
    [True, False, False]
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from ._cast import HUBS
from ._common import (DIMS, broadcast_strides, coalesce, empty, flat, kernel, offsets2_of,
                      padded)
from .array import astype

__all__ = ["compare"]

_OPS = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}


@kernel(f"void({{t}}[::1], {{t}}[::1], boolean[::1], {DIMS}, {DIMS}, {DIMS}, int64, int64)",
        dtypes=HUBS)
def _compare(a, b, out, shape, sa, sb, ndim, op):
    i = cuda.grid(1)
    if i < out.size:
        ia, ib = offsets2_of(i, shape, sa, sb, ndim)
        x = a[ia]
        y = b[ib]
        if op == 0:
            r = x == y
        elif op == 1:
            r = x != y
        elif op == 2:
            r = x < y
        elif op == 3:
            r = x <= y
        elif op == 4:
            r = x > y
        else:
            r = x >= y
        out[i] = r


def compare(a: Any, b: Any, op: str) -> Any:
    """bool ``a OP b`` with broadcasting, op in ``== != < <= > >=``."""
    if a.dtype.name not in HUBS:
        a, b = astype(a, np.int64), astype(b, np.int64)
    elif b.dtype != a.dtype:
        b = astype(b, a.dtype)
    shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    out = empty(shape, np.bool_)
    if out.size:
        dims, sa, sb = coalesce(shape, broadcast_strides(shape, a.shape),
                                broadcast_strides(shape, b.shape))
        _compare.launch(out.size, flat(a), flat(b), flat(out), padded(dims, 1), padded(sa),
                        padded(sb), len(dims), _OPS[op])
    return out
