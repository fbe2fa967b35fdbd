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
from ._common import contiguous_strides, empty, flat, kernel, padded
from .array import astype

__all__ = ["compare"]

_OPS = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
_T8 = "UniTuple(int64, 8)"


@kernel(f"void({{t}}[::1], {{t}}[::1], boolean[::1], {_T8}, {_T8}, {_T8}, int64, int64)",
        dtypes=HUBS)
def _compare(a, b, out, shape, sa, sb, ndim, op):
    i = cuda.grid(1)
    if i < out.size:
        rem = i
        ia = 0
        ib = 0
        for d in range(ndim - 1, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            ia += idx * sa[d]
            ib += idx * sb[d]
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


def _layout(shape: tuple[int, ...], in_shape: tuple[int, ...]) -> list[int]:
    in_shape = (1,) * (len(shape) - len(in_shape)) + tuple(in_shape)
    strides = contiguous_strides(in_shape)
    return [0 if n == 1 and s != 1 else st for n, s, st in zip(in_shape, shape, strides)]


def compare(a: Any, b: Any, op: str) -> Any:
    """bool ``a OP b`` with broadcasting, op in ``== != < <= > >=``."""
    if a.dtype.name not in HUBS:
        a, b = astype(a, np.int64), astype(b, np.int64)
    elif b.dtype != a.dtype:
        b = astype(b, a.dtype)
    shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    out = empty(shape, np.bool_)
    if out.size:
        # merge axes only where both operands walk them the same way
        sa, sb = _layout(shape, a.shape), _layout(shape, b.shape)
        dims = [[n, x, y] for n, x, y in zip(shape, sa, sb) if n != 1] or [[1, 0, 0]]
        merged = [dims[0]]
        for n, x, y in dims[1:]:
            last = merged[-1]
            if last[1] == x * n and last[2] == y * n:
                last[0], last[1], last[2] = last[0] * n, x, y
            else:
                merged.append([n, x, y])
        _compare.launch(out.size, flat(a), flat(b), flat(out), padded([m[0] for m in merged], 1),
                        padded([m[1] for m in merged]), padded([m[2] for m in merged]),
                        len(merged), _OPS[op])
    return out
