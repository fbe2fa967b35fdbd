"""Reductions over axes: numpy's pairwise summation keeps float32 sums accurate."""
from __future__ import annotations

import numpy as np

__all__ = ["sum", "max"]


def sum(a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:  # noqa: A001
    """Sum of ``a`` over ``axes`` in ``a``'s dtype."""
    return np.asarray(np.sum(a, axis=axes, keepdims=keepdims, dtype=a.dtype), order="C")


def max(a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:  # noqa: A001
    """Maximum of ``a`` over ``axes`` (NaN propagates)."""
    return np.asarray(np.max(a, axis=axes, keepdims=keepdims), order="C")
