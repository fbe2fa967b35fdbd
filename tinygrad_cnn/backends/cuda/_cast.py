"""Casts between every tensor dtype on the GPU (bool masks, uint8 images, small integers).

float32, float64 and int64 are the *hub* dtypes that the arithmetic kernels are compiled
for; any other dtype converts to and from a hub in one kernel, and two other dtypes meet
through int64 (exact for every integer and bool value). Integer narrowing wraps around
(int64 300 -> uint8 44), as numpy's and PyTorch's casts do; a cast to bool is ``x != 0``.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> to_numpy(cast(from_numpy(np.array([300, -1, 0])), np.dtype(np.uint8))).tolist()
    [44, 255, 0]
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda, int64

from ._common import empty, flat, kernel

__all__ = ["HUBS", "SMALL", "cast"]

HUBS = ("float32", "float64", "int64")
SMALL = ("uint8", "int8", "int16", "int32")     # and bool, which has its own rules
_OTHER = SMALL + ("bool",)


@kernel(*[f"void({s}[::1], {d}[::1])" for s in _OTHER for d in HUBS],
        *[f"void({s}[::1], {s}[::1])" for s in _OTHER], dtypes=())
def _convert(src, dst):
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = src[i]


@kernel(*[f"void({s}[::1], {d}[::1], int64, int64)" for s in HUBS for d in SMALL], dtypes=())
def _narrow(src, dst, lo, mask):
    # Wrap-around written out (the GPU would truncate anyway; the simulator's numpy refuses
    # out-of-range values for int8): the value modulo 2**bits, shifted into [lo, lo + mask].
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = ((int64(src[i]) - lo) & mask) + lo


@kernel(*[f"void({s}[::1], boolean[::1])" for s in HUBS], dtypes=())
def _nonzero(src, dst):
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = src[i] != 0


def _one(kern: Any, a: Any, dtype: np.dtype) -> Any:
    out = empty(a.shape, dtype)
    kern.launch(out.size, flat(a), flat(out))
    return out


def cast(a: Any, dtype: Any) -> Any:
    """A new array with ``a``'s values in ``dtype``, for any pair that is not two hub dtypes
    (those are :func:`.array.astype`'s own kernels)."""
    dtype = np.dtype(dtype)
    src, dst = a.dtype.name, dtype.name
    if src in HUBS and dst in HUBS:
        raise ValueError(f"cast: {src} -> {dst} is a hub-to-hub cast (array.astype)")
    if src in HUBS and dst == "bool":
        return _one(_nonzero, a, dtype)
    if src in HUBS and dst in SMALL:
        out = empty(a.shape, dtype)
        info = np.iinfo(dtype)
        _narrow.launch(out.size, flat(a), flat(out), int(info.min), int(info.max) - int(info.min))
        return out
    if src == dst or dst in HUBS:
        return _one(_convert, a, dtype)
    return cast(_one(_convert, a, np.dtype(np.int64)), dtype)
