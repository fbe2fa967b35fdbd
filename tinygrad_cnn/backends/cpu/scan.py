"""Scans and products along one axis, and the logical reductions (numpy on the host).

Example:
    >>> cumsum(np.array([1, 2, 3]), 0, True).tolist()
    [6, 5, 3]
    >>> cumprod_exclusive(np.array([2, 3, 4]), 0, False).tolist()
    [1, 2, 6]
"""
from __future__ import annotations

import numpy as np

__all__ = ["cumsum", "prod", "cumprod_exclusive", "all", "any"]


def cumsum(a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """Running sum along ``axis`` in ``a``'s dtype (from the end when ``reverse``)."""
    if reverse:
        return np.ascontiguousarray(np.flip(np.cumsum(np.flip(a, axis), axis, dtype=a.dtype),
                                            axis))
    return np.cumsum(a, axis, dtype=a.dtype)


def prod(a: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    """Product along ``axis`` in ``a``'s dtype."""
    return np.asarray(np.prod(a, axis=axis, keepdims=keepdims, dtype=a.dtype), order="C")


def cumprod_exclusive(a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """Product of the elements strictly before (after, with ``reverse``) each one."""
    x = np.flip(a, axis) if reverse else a
    ones = np.ones_like(np.take(x, [0], axis=axis))
    head = np.take(x, range(x.shape[axis] - 1), axis=axis)
    out = np.cumprod(np.concatenate([ones, head], axis=axis), axis=axis, dtype=a.dtype)
    return np.ascontiguousarray(np.flip(out, axis) if reverse else out)


def all(a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:  # noqa: A001
    """bool: every element over ``axes`` is non-zero."""
    return np.asarray(np.all(a != 0, axis=axes, keepdims=keepdims), dtype=np.bool_)


def any(a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:  # noqa: A001
    """bool: some element over ``axes`` is non-zero."""
    return np.asarray(np.any(a != 0, axis=axes, keepdims=keepdims), dtype=np.bool_)
