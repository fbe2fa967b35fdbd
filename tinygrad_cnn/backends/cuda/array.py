"""Moving data to and from the GPU, and making arrays there.

Example:
    >>> d = from_numpy(np.arange(3, dtype=np.float32))
    >>> to_numpy(astype(d, np.float64)).tolist()
    [0.0, 1.0, 2.0]
"""
from __future__ import annotations

from typing import Any

import math

import numpy as np
from numba import cuda, int32

from ._cast import cast as _cast_any
from . import _scratch as scratch
from ._common import THREADS, coalesce, empty, flat, kernel, padded, scalar, size_of

__all__ = ["from_numpy", "to_numpy", "zeros", "full", "arange", "astype", "copy", "all_finite",
           "assign", "setitem"]

_ALL = ("float32", "float64", "int64")
# How many blocks the finiteness check uses at most; each writes one flag.
_FINITE_BLOCKS = 128


@kernel("void({t}[::1], {t})", dtypes=_ALL)
def _fill(out, value):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = value


@kernel(*[f"void({s}[::1], {d}[::1])" for s in _ALL for d in _ALL if s != d], dtypes=())
def _cast(src, dst):
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = src[i]


@kernel("void({t}[::1])", dtypes=_ALL)
def _iota(out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = i


@kernel("void({t}[::1], {t}[::1])", dtypes=_ALL)
def _copy(src, dst):
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = src[i]


@kernel("void({t}[::1], int32[::1])")
def _nonfinite_flags(a, flags):
    # Each block strides over the array; thread flags are OR-ed in shared memory, and the
    # block's result lands in its own slot, so no atomics and no initialisation are needed.
    seen = cuda.shared.array(THREADS, dtype=int32)
    t = cuda.threadIdx.x
    bad = int32(0)
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    while i < a.size:
        x = a[i]
        if math.isnan(x) or math.isinf(x):
            bad = int32(1)
        i += stride
    seen[t] = bad
    cuda.syncthreads()
    half = THREADS // 2
    while half > 0:
        if t < half and seen[t + half] != 0:
            seen[t] = int32(1)
        cuda.syncthreads()
        half //= 2
    if t == 0:
        flags[cuda.blockIdx.x] = seen[0]


def from_numpy(a: np.ndarray) -> Any:
    """Copy a host array onto the GPU (C-contiguous, same dtype).

    Example:
        >>> from_numpy(np.zeros((2, 3), np.float32)).shape
        (2, 3)
    """
    a = np.asarray(a)
    # not np.ascontiguousarray: it turns a 0-d array into shape (1,)
    return cuda.to_device(a if a.flags.c_contiguous else a.copy(order="C"))


def to_numpy(a: Any) -> np.ndarray:
    """Copy a device array back to the host as a C-contiguous numpy array."""
    if isinstance(a, np.ndarray):
        return np.array(a, order="C", copy=True)
    host = a.copy_to_host()
    return host if host.flags.c_contiguous else host.copy(order="C")


def full(shape: tuple[int, ...], value: float, dtype: Any) -> Any:
    """A new device array of ``shape`` filled with ``value``."""
    out = empty(shape, dtype)
    _fill.launch(out.size, flat(out), scalar(out.dtype, value))
    return out


def zeros(shape: tuple[int, ...], dtype: Any) -> Any:
    """A new device array of zeros."""
    return full(shape, 0, dtype)


def arange(n: int, dtype: Any) -> Any:
    """``[0, 1, ..., n - 1]`` made on the device (other dtypes than float32, float64 and
    int64 through int64 and a cast, also on the device)."""
    dtype = np.dtype(dtype)
    out = empty((int(n),), dtype if dtype.name in _ALL else np.dtype(np.int64))
    _iota.launch(out.size, flat(out))
    return out if out.dtype == dtype else astype(out, dtype)


def astype(a: Any, dtype: Any) -> Any:
    """A copy of ``a`` converted to ``dtype``; other dtypes than float32, float64 and int64
    (bool masks, uint8 images) go through :func:`._cast.cast`, also on the device."""
    if a.dtype.name not in _ALL or np.dtype(dtype).name not in _ALL:
        return _cast_any(a, dtype)
    out = empty(a.shape, dtype)
    kern = _copy if np.dtype(dtype) == a.dtype else _cast
    kern.launch(out.size, flat(a), flat(out))
    return out


def copy(a: Any) -> Any:
    """A new device array with the contents of ``a``."""
    return astype(a, a.dtype)


def all_finite(a: Any) -> bool:
    """True when no element is NaN or infinite (one kernel, one small copy back)."""
    if a.size == 0:
        return True
    blocks = min(_FINITE_BLOCKS, (a.size + THREADS - 1) // THREADS)
    flags = scratch.take((blocks,), np.int32)
    _nonfinite_flags.grid((blocks,), (THREADS,), flat(a), flags)
    bad = bool(flags.copy_to_host().any())
    scratch.give(flags)
    return not bad


def assign(dst: Any, src: Any) -> None:
    """Overwrite ``dst`` in place with ``src`` (same shape; cast to ``dst``'s dtype)."""
    if tuple(src.shape) != tuple(dst.shape):
        src = from_numpy(np.broadcast_to(to_numpy(src), dst.shape))
    if src.dtype != dst.dtype:
        src = astype(src, dst.dtype)
    if dst.size and dst.dtype.name in _ALL:
        _copy.launch(dst.size, flat(src), flat(dst))
    elif dst.size:
        dst.copy_to_device(src)


def setitem(a: Any, index: object, value: Any) -> None:
    """``a[index] = value`` in place, with numpy's indexing and broadcasting.

    Basic indices (ints, slices, None, Ellipsis) scatter ``value`` on the device; integer or
    boolean array indices go through the host (rare in a CNN).
    """
    from . import movement as mv
    idx = mv._as_tuple(index)
    if isinstance(value, np.ndarray) or not mv._is_basic(idx):
        host = to_numpy(a)
        host[index] = to_numpy(value) if not isinstance(value, np.ndarray) else value
        a.copy_to_device(host)
        return
    if a.dtype.name not in _ALL:            # narrow dtypes: through int64 and back
        wide = astype(a, np.int64)
        setitem(wide, index, value)
        a.copy_to_device(astype(wide, a.dtype))
        return
    shape, strides, base = mv._basic_view(a.shape, idx)
    if not size_of(shape):
        return
    v = value if value.dtype == a.dtype else astype(value, a.dtype)
    while v.ndim > len(shape) and v.shape[0] == 1:  # numpy drops leading 1s of the value
        v = v.reshape(v.shape[1:])
    if tuple(v.shape) != tuple(shape):
        v = mv.broadcast_to(v, shape)
    dims, st = coalesce(shape, strides)
    mv._scatter.launch(v.size, flat(v), flat(a), padded(dims, 1), padded(st), len(dims), base)
