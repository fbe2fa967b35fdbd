"""The reference backend's selection, scan and indexing kernels (the contract's last block)
and ``arange``: plain numpy and Python loops, written from the contract's definitions.
reference.py re-exports them, so ``reference.sort`` etc. exist like every other contract name.
"""
from __future__ import annotations

import math
import operator

import numpy as np

__all__ = ["arange", "argmax", "argmin", "sort", "cumsum", "prod", "cumprod_exclusive", "all",
           "any", "gather", "gather_backward", "one_hot", "compare", "take", "take_backward",
           "flatnonzero"]


def _lines(a, axis):
    """``a`` with ``axis`` last, as rows: (rows, moved shape)."""
    moved = np.moveaxis(np.asarray(a), axis, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _unlines(rows, shape, axis):
    return np.ascontiguousarray(np.moveaxis(rows.reshape(shape), -1, axis))


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _arg(a, axis, better):
    rows, shape = _lines(a, axis)
    out = np.zeros(rows.shape[0], np.int64)
    for r, row in enumerate(rows.tolist()):
        best = 0
        for i, v in enumerate(row):
            if _is_nan(row[best]):
                break
            if _is_nan(v) or better(v, row[best]):
                best = i
        out[r] = best
    return out.reshape(shape[:-1])


def argmax(a, axis):
    return _arg(a, axis, operator.gt)


def argmin(a, axis):
    return _arg(a, axis, operator.lt)


def sort(a, axis, descending):
    rows, shape = _lines(a, axis)
    order = np.zeros(rows.shape, np.int64)
    for r, row in enumerate(rows.tolist()):
        if descending:  # NaN first, then largest first; Python's sort is stable
            key = lambda i: (not _is_nan(row[i]), 0 if _is_nan(row[i]) else -row[i])  # noqa: E731
        else:  # smallest first, NaN last
            key = lambda i: (_is_nan(row[i]), 0 if _is_nan(row[i]) else row[i])  # noqa: E731
        order[r] = sorted(range(len(row)), key=key)
    values = np.take_along_axis(rows, order, 1)
    return _unlines(values, shape, axis), _unlines(order, shape, axis)


def _scan(a, axis, reverse, step, start):
    rows, shape = _lines(a, axis)
    out = np.empty_like(rows)
    for r in range(rows.shape[0]):
        acc = rows.dtype.type(start)
        cols = range(rows.shape[1] - 1, -1, -1) if reverse else range(rows.shape[1])
        for i in cols:
            acc, out[r, i] = step(acc, rows[r, i])
    return _unlines(out, shape, axis)


def cumsum(a, axis, reverse):
    return _scan(a, axis, reverse, lambda acc, v: (acc + v, acc + v), 0)


def cumprod_exclusive(a, axis, reverse):
    return _scan(a, axis, reverse, lambda acc, v: (acc * v, acc), 1)


def prod(a, axis, keepdims):
    a = np.asarray(a)
    out = np.ones(a.shape[:axis] + a.shape[axis + 1:], a.dtype)
    for i in range(a.shape[axis]):
        out = (out * np.take(a, i, axis)).astype(a.dtype)
    return np.expand_dims(out, axis) if keepdims else out


def all(a, axes, keepdims):  # noqa: A001
    return np.logical_not(np.any(np.asarray(a) == 0, axis=axes, keepdims=keepdims))


def any(a, axes, keepdims):  # noqa: A001
    return np.any(np.asarray(a) != 0, axis=axes, keepdims=keepdims)


def _gather_positions(axis, index, n):
    """The full index tuple of each element of ``index`` into the gathered array."""
    pos = list(np.indices(index.shape))
    pos[axis] = np.where(index < 0, index + n, index)
    return tuple(pos)


def gather(a, axis, index):
    return np.asarray(a)[_gather_positions(axis, np.asarray(index), np.shape(a)[axis])]


def gather_backward(grad, axis, index, shape):
    out = np.zeros(shape, np.asarray(grad).dtype)
    np.add.at(out, _gather_positions(axis, np.asarray(index), shape[axis]), grad)
    return out


def one_hot(index, num_classes):
    index = np.asarray(index)
    return (index[..., None] == np.arange(num_classes)).astype(np.int64)


_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def compare(a, b, op):
    return np.asarray(_COMPARE[op](np.asarray(a), np.asarray(b)), np.bool_)


def take(a, index):
    a, index = np.asarray(a), np.asarray(index)
    return np.ascontiguousarray(a[np.where(index < 0, index + a.shape[0], index)])


def take_backward(grad, index, n):
    grad, index = np.asarray(grad), np.asarray(index)
    out = np.zeros((n,) + grad.shape[1:], grad.dtype)
    np.add.at(out, np.where(index < 0, index + n, index), grad)
    return out


def flatnonzero(mask, count):
    out = np.array([i for i, v in enumerate(np.asarray(mask).tolist()) if v], np.int64)
    assert out.size == count
    return out


def arange(n, dtype):
    return np.array(range(n), dtype)
