"""Host arrays: the CPU backend's arrays are C-contiguous numpy arrays."""
from __future__ import annotations

import numpy as np

__all__ = ["from_numpy", "to_numpy", "zeros", "full", "arange", "astype", "copy", "all_finite",
           "assign", "setitem"]


def from_numpy(a: np.ndarray) -> np.ndarray:
    """Return ``a`` as a C-contiguous array (no copy when it already is one; 0-d stays 0-d)."""
    return np.asarray(a, order="C")


def to_numpy(a: np.ndarray) -> np.ndarray:
    """Return ``a`` itself: CPU arrays already live on the host."""
    return a


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``np.zeros(shape, dtype)``."""
    return np.zeros(shape, dtype)


def full(shape: tuple[int, ...], value: float, dtype: np.dtype) -> np.ndarray:
    """``np.full(shape, value, dtype)``."""
    return np.full(shape, value, dtype)


def arange(n: int, dtype: np.dtype) -> np.ndarray:
    """``np.arange(n, dtype=dtype)``."""
    return np.arange(n, dtype=dtype)


def astype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A C-contiguous copy of ``a`` in ``dtype``."""
    return np.array(a, dtype=dtype, order="C", copy=True)


def copy(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``a``."""
    return np.array(a, order="C", copy=True)


def all_finite(a: np.ndarray) -> bool:
    """True when no element of ``a`` is NaN or infinite."""
    return bool(np.isfinite(a).all())


def assign(dst: np.ndarray, src: np.ndarray) -> None:
    """Overwrite ``dst`` in place with ``src`` (broadcast, cast to ``dst``'s dtype)."""
    np.copyto(dst, src, casting="unsafe")


def setitem(a: np.ndarray, index: object, value: np.ndarray) -> None:
    """``a[index] = value`` in place (numpy indexing and broadcasting)."""
    a[index] = value
