"""Scratch buffers: a per-shape pool of device temporaries (partial sums, flags).

Device memory is freed lazily by Numba, so allocating a fresh temporary every training step
piles up pending deallocations; instead a temporary is taken from the pool and given back
as soon as the last kernel that reads it has been *launched*. That is safe because every
kernel runs on the default stream, in launch order: a later user of the buffer starts
only after the earlier kernels finished.

Example:
    >>> buf = take((4,), np.float32)
    >>> give(buf)
    >>> take((4,), np.float32) is buf
    True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._common import empty

__all__ = ["take", "give", "clear"]

_MAX_PER_KEY = 4
_free: dict[tuple, list] = {}


def _key(shape: tuple[int, ...], dtype: Any) -> tuple:
    return tuple(int(s) for s in shape), np.dtype(dtype).str


def take(shape: tuple[int, ...], dtype: Any) -> Any:
    """A device array of ``shape`` and ``dtype`` with undefined contents."""
    free = _free.get(_key(shape, dtype))
    return free.pop() if free else empty(shape, dtype)


def give(buf: Any) -> None:
    """Return ``buf`` to the pool; the caller must not use it afterwards."""
    free = _free.setdefault(_key(buf.shape, buf.dtype), [])
    if len(free) < _MAX_PER_KEY:
        free.append(buf)


def clear() -> None:
    """Drop every pooled buffer (their memory is released by Numba)."""
    _free.clear()
