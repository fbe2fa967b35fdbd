"""Dropout masks on the CPU from the counter-based hash of :mod:`.._dropout_hash`: the same
seed gives the same mask here and on CUDA, whatever the thread count.

Example:
    >>> m = dropout_mask((2, 3), 0.5, np.float32, seed=0)
    >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._dropout_hash import hash_bits, mask_params

__all__ = ["dropout_mask"]


_hash_bits = njit(cache=True, inline="always")(hash_bits)


@njit(cache=True, parallel=True)
def _hash_mask(out, key, threshold, keep):
    zero = out.dtype.type(0)
    kept = out.dtype.type(keep)
    for i in prange(out.size):       # each element owns itself
        out[i] = kept if _hash_bits(key, np.uint64(i)) >= threshold else zero


def dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype, seed: int) -> np.ndarray:
    """Mask of ``shape``: ``0`` with probability ``p``, else ``1/(1-p)``; same seed, same mask.

    ``p == 0`` gives all ones and ``p == 1`` all zeros. ``dtype`` is float32 or float64 (any
    other dtype gives float32). Multiply the input by the mask in forward and the gradient by
    the same mask in backward.

    Example:
        >>> dropout_mask((4,), 0.0, np.float64, seed=1).tolist()
        [1.0, 1.0, 1.0, 1.0]
        >>> np.array_equal(dropout_mask((8,), 0.3, np.float32, 7), dropout_mask((8,), 0.3, np.float32, 7))
        True
    """
    dt = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    shape = tuple(int(s) for s in shape)
    key, threshold, keep = mask_params(p, seed)
    out = np.empty(int(np.prod(shape, dtype=np.int64)), dt)
    _hash_mask(out, np.uint64(key), np.uint64(threshold), float(keep))
    return out.reshape(shape)
