"""``gather`` along one axis, its scatter-add backward, and ``one_hot`` (numpy on the host).

Example:
    >>> gather(np.array([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([[1], [0]])).tolist()
    [[2.0], [3.0]]
"""
from __future__ import annotations

import numpy as np

__all__ = ["gather", "gather_backward", "one_hot", "take", "take_backward",
           "flatnonzero"]


def _region(shape: tuple[int, ...], index: np.ndarray, axis: int) -> tuple[slice, ...]:
    """The part of an input of ``shape`` that an ``index`` (smaller off ``axis``) addresses."""
    return tuple(slice(None) if k == axis else slice(0, index.shape[k])
                 for k in range(len(shape)))


def gather(a: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """``out[..i..] = a[..index[..i..]..]`` along ``axis`` (``torch.gather``)."""
    part = a[_region(a.shape, index, axis)]
    return np.ascontiguousarray(np.take_along_axis(part, index.astype(np.int64), axis))


def gather_backward(grad: np.ndarray, axis: int, index: np.ndarray,
                    shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` with ``grad`` added where :func:`gather` read."""
    out = np.zeros(shape, grad.dtype)
    part = out[_region(shape, index, axis)]
    grid = list(np.indices(index.shape, sparse=True))
    grid[axis] = index.astype(np.int64)
    np.add.at(part, tuple(grid), grad)
    return out


def one_hot(index: np.ndarray, num_classes: int) -> np.ndarray:
    """int64 ``(*index.shape, num_classes)`` rows with a 1 at each class index."""
    return (index[..., None] == np.arange(num_classes)).astype(np.int64)


def take(a: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``a[index]`` for a 1-D integer ``index``."""
    return np.ascontiguousarray(a[index])


def take_backward(grad: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Zeros of ``(n, *grad.shape[1:])`` with ``grad[r]`` added to row ``index[r]``."""
    out = np.zeros((n,) + grad.shape[1:], grad.dtype)
    np.add.at(out, index, grad)
    return out


def flatnonzero(mask: np.ndarray, count: int) -> np.ndarray:
    """``np.flatnonzero(mask)`` (``count`` is its length)."""
    return np.flatnonzero(mask).astype(np.int64, copy=False)
