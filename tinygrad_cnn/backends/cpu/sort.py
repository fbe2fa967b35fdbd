"""Arg-reductions and the stable sort along one axis (numpy on the host).

Example:
    >>> sort(np.array([[2.0, np.nan, 1.0, 2.0]]), 1, True)[1].tolist()
    [[1, 0, 3, 2]]
"""
from __future__ import annotations

import numpy as np

__all__ = ["argmax", "argmin", "sort"]


def argmax(a: np.ndarray, axis: int) -> np.ndarray:
    """int64 index of the first maximum along ``axis`` (a NaN wins, as numpy's)."""
    return np.asarray(np.argmax(a, axis=axis), dtype=np.int64)


def argmin(a: np.ndarray, axis: int) -> np.ndarray:
    """int64 index of the first minimum along ``axis`` (a NaN wins, as numpy's)."""
    return np.asarray(np.argmin(a, axis=axis), dtype=np.int64)


def sort(a: np.ndarray, axis: int, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort along ``axis``: ``(values, int64 indices)``; NaN is the largest value.

    Descending order sorts the reversed axis ascending and reverses the result: ties then
    keep their original order, NaNs come first, and integers stay exact (no negation).
    """
    if descending:
        n = a.shape[axis]
        rev = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
        idx = (n - 1) - np.flip(rev, axis)
    else:
        idx = np.argsort(a, axis=axis, kind="stable")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    return np.ascontiguousarray(np.take_along_axis(a, idx, axis)), idx
