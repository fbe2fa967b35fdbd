"""The dtypes a tensor may hold and PyTorch's type-promotion rule between them.

Categories rank ``bool < integer < float``. Two tensors promote to the higher category; within
one category the wider dtype wins, except that a 0-d tensor does not widen a tensor with
dimensions (as in PyTorch). A Python scalar only matters when its category is higher than the
tensor's: then ``int`` gives int64 and ``float`` gives float32.

Example:
    >>> import numpy as np
    >>> result_type(np.dtype(np.bool_), np.dtype(np.int64))
    dtype('int64')
    >>> scalar_result_type(np.dtype(np.int64), 2.5)
    dtype('float32')
"""
from __future__ import annotations

from typing import Any

import numpy as np

# dtype names at the top level, as ``torch.float32`` (numpy dtypes)
bool_, uint8, int8, int16, int32, int64 = (np.dtype(t) for t in (
    np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64))
float32, float64 = np.dtype(np.float32), np.dtype(np.float64)
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INT_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64))
BOOL = np.dtype(np.bool_)
INT64 = np.dtype(np.int64)
FLOAT32 = np.dtype(np.float32)
SUPPORTED = (BOOL,) + INT_DTYPES + FLOAT_DTYPES


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats."""
    return 0 if dtype == BOOL else (2 if dtype.kind == "f" else 1)


def check_dtype(dtype: Any, op: str) -> np.dtype:
    """``dtype`` as a numpy dtype, or a TypeError naming ``op`` when a tensor cannot hold it.

    Example:
        >>> check_dtype("float16", "Tensor")
        Traceback (most recent call last):
        ...
        TypeError: Tensor: dtype float16 is not supported; expected one of bool, uint8, int8, int16, int32, int64, float32, float64
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype") from None
    if dt not in SUPPORTED:
        names = ", ".join(str(d) for d in SUPPORTED)
        raise TypeError(f"{op}: dtype {dt} is not supported; expected one of {names}")
    return dt


def result_type(a: np.dtype, b: np.dtype, a_0d: bool = False, b_0d: bool = False) -> np.dtype:
    """The dtype of a binary op between tensors of dtypes ``a`` and ``b`` (PyTorch's rule)."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    if a_0d != b_0d:                      # a 0-d tensor does not widen one with dimensions
        return b if a_0d else a
    if ca == 1 and {a.kind, b.kind} == {"u", "i"}:
        return np.promote_types(a, b)     # uint8 with int8 -> int16, as in PyTorch
    return a if a.itemsize >= b.itemsize else b


def scalar_result_type(dtype: np.dtype, value: Any) -> np.dtype:
    """The dtype of a binary op between a tensor of ``dtype`` and the Python number ``value``."""
    kind = 0 if isinstance(value, (bool, np.bool_)) else (
        1 if isinstance(value, (int, np.integer)) else 2)
    if kind <= category(dtype):
        return dtype
    return FLOAT32 if kind == 2 else INT64
