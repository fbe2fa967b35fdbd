"""Reshape, permute, broadcast, pad and indexing on host arrays."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["reshape", "permute", "broadcast_to", "pad", "getitem", "getitem_backward",
           "take_along_class"]


def reshape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` with a new shape (a view when ``a`` is contiguous)."""
    return np.asarray(a, order="C").reshape(shape)


def permute(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``a`` with its axes reordered, copied to C order."""
    return np.asarray(np.transpose(a, axes), order="C")


def broadcast_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` broadcast to ``shape`` and materialised."""
    return np.asarray(np.broadcast_to(a, shape), order="C")


def pad(a: np.ndarray, pads: tuple[tuple[int, int], ...], value: float) -> np.ndarray:
    """Constant padding with one ``(before, after)`` pair per axis."""
    return np.pad(a, pads, mode="constant", constant_values=value)


def getitem(a: np.ndarray, index: Any) -> np.ndarray:
    """``a[index]``, copied so that later in-place updates of ``a`` cannot leak into it."""
    return np.array(a[index], order="C", copy=True)


def getitem_backward(grad: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``grad`` accumulated at ``index`` (repeats add up)."""
    out = np.zeros(shape, grad.dtype)
    np.add.at(out, index, grad)
    return out


def take_along_class(a: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``a[i, target[i]]`` for each row ``i``."""
    return np.ascontiguousarray(a[np.arange(a.shape[0]), target])
