"""Pooling windows, computed once on the host and shared by both kernel backends.

Each axis of a 2-D pool is a table: for every output index ``o`` the window ``[start, end)``
clipped to the image and the divisor ``count`` an average uses, and for every input cell
``i`` the outputs ``first[i] <= o < stop[i]`` whose windows cover it (starts and ends never
decrease along an axis, so those windows are contiguous). Max pooling, average pooling (with
or without the padded cells in the divisor) and PyTorch's adaptive windows are all such
tables: the CPU kernels read them as they are, the CUDA backend uploads them once per
geometry, so both backends pool over the same definition.

Pure numpy on ints, cached per geometry (the tables are read-only).

Example:
    >>> rows = axis_windows(5, kernel=3, stride=2, pad=1, count_include_pad=False)
    >>> rows.start.tolist(), rows.end.tolist(), rows.count.tolist()
    ([0, 1, 3], [2, 4, 5], [2, 3, 2])
    >>> rows.first.tolist(), rows.stop.tolist()
    ([0, 0, 1, 1, 2], [1, 2, 2, 3, 3])
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ._geometry import out_size

__all__ = ["AxisWindows", "PoolWindows", "axis_windows", "adaptive_axis", "pool_windows",
           "adaptive_windows"]


@dataclass(frozen=True, eq=False)
class AxisWindows:
    """The windows of one spatial axis (int64, read-only arrays).

    ``start``, ``end``, ``count``: one entry per output index; ``first``, ``stop``: one entry
    per input cell. ``key`` identifies the geometry (equal keys, equal tables).
    """

    size: int
    start: np.ndarray
    end: np.ndarray
    count: np.ndarray
    first: np.ndarray
    stop: np.ndarray
    key: tuple

    @property
    def out(self) -> int:
        """Number of windows (output length of the axis)."""
        return int(self.start.shape[0])

    def packed(self) -> np.ndarray:
        """``start, end, count, first, stop`` concatenated: one array to upload to a device.

        Example:
            >>> adaptive_axis(3, 2).packed().tolist()
            [0, 1, 2, 3, 2, 2, 0, 0, 1, 1, 2, 2]
        """
        return np.concatenate([self.start, self.end, self.count, self.first, self.stop])


class PoolWindows(NamedTuple):
    """The row and column windows of a 2-D pool over an (H, W) plane.

    Example:
        >>> adaptive_windows((4, 4), (2, 1)).out_hw
        (2, 1)
    """

    rows: AxisWindows
    cols: AxisWindows

    @property
    def in_hw(self) -> tuple[int, int]:
        """The input plane (H, W)."""
        return self.rows.size, self.cols.size

    @property
    def out_hw(self) -> tuple[int, int]:
        """The output plane (OH, OW)."""
        return self.rows.out, self.cols.out

    @property
    def key(self) -> tuple:
        """Identifies the geometry of both axes (a cache key for uploaded tables)."""
        return self.rows.key, self.cols.key


def _table(size: int, start: np.ndarray, end: np.ndarray, count: np.ndarray,
           key: tuple) -> AxisWindows:
    cells = np.arange(size, dtype=np.int64)
    first = np.searchsorted(end, cells, side="right").astype(np.int64)  # first end > i
    stop = np.searchsorted(start, cells, side="right").astype(np.int64)  # starts <= i
    arrays = [np.ascontiguousarray(a, dtype=np.int64) for a in (start, end, count, first, stop)]
    for a in arrays:
        a.setflags(write=False)
    return AxisWindows(int(size), *arrays, key=key)


@lru_cache(maxsize=256)
def axis_windows(size: int, kernel: int, stride: int, pad: int,
                 count_include_pad: bool = True) -> AxisWindows:
    """Windows ``[o*stride - pad, o*stride - pad + kernel)`` clipped to ``[0, size)``.

    The divisor counts the padded cells when ``count_include_pad`` (PyTorch clips a window to
    the padded image first), else only the cells inside the image. Max pooling uses the same
    clipped windows (its padding is ``-inf`` and never wins).

    Example:
        >>> axis_windows(4, 2, 2, 0).start.tolist()
        [0, 2]
    """
    size, kernel, stride, pad = int(size), int(kernel), int(stride), int(pad)
    n = out_size(size, kernel, stride, pad)
    start = np.arange(n, dtype=np.int64) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    padded = end - start
    start, end = np.maximum(start, 0), np.minimum(end, size)
    count = padded if count_include_pad else np.maximum(end - start, 0)
    return _table(size, start, end, count, ("pool", size, kernel, stride, pad,
                                            bool(count_include_pad)))


@lru_cache(maxsize=256)
def adaptive_axis(size: int, out: int) -> AxisWindows:
    """PyTorch's adaptive windows ``[floor(o*size/out), ceil((o+1)*size/out))``.

    Example:
        >>> w = adaptive_axis(4, 3)
        >>> w.start.tolist(), w.end.tolist()
        ([0, 1, 2], [2, 3, 4])
    """
    size, out = int(size), int(out)
    o = np.arange(out, dtype=np.int64)
    start = (o * size) // out
    end = ((o + 1) * size + out - 1) // out
    return _table(size, start, end, end - start, ("adaptive", size, out))


def pool_windows(in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int], count_include_pad: bool = True) -> PoolWindows:
    """The windows of a max or average pool over an ``in_hw`` plane.

    Example:
        >>> pool_windows((5, 6), (2, 2), (2, 2), (0, 0)).out_hw
        (2, 3)
    """
    return PoolWindows(*(axis_windows(int(in_hw[d]), int(kernel[d]), int(stride[d]),
                                      int(padding[d]), bool(count_include_pad))
                         for d in range(2)))


def adaptive_windows(in_hw: tuple[int, int], output_size: tuple[int, int]) -> PoolWindows:
    """PyTorch's adaptive windows from an ``in_hw`` plane to ``output_size``.

    Example:
        >>> adaptive_windows((5, 7), (2, 3)).cols.end.tolist()
        [3, 5, 7]
    """
    return PoolWindows(*(adaptive_axis(int(in_hw[d]), int(output_size[d])) for d in range(2)))
