"""Dropout masks on the GPU from a counter-based hash: deterministic in the seed alone.

The hash is :mod:`.._dropout_hash`'s, shared with the CPU kernel: one seed gives the same
mask on both devices. :func:`reference_mask` computes it with plain numpy (tests).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import to_numpy
    >>> m = to_numpy(dropout_mask((2, 3), 0.5, np.float32, seed=0))
    >>> bool(np.isin(m, [0.0, 2.0]).all())
    True
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numba import cuda, uint64

from .._dropout_hash import hash_bits, mask_params
from ._common import SIMULATOR, empty, flat, float32, kernel, scalar

__all__ = ["dropout_mask", "reference_mask"]

_hash_bits = cuda.jit(device=True)(hash_bits)


@kernel("void({t}[::1], uint64, uint64, {t})")
def _mask(out, key, threshold, keep):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = keep if _hash_bits(key, uint64(i)) >= threshold else float32(0)


def dropout_mask(shape: tuple[int, ...], p: float, dtype: Any, seed: int) -> Any:
    """Mask of ``shape``: ``0`` with probability ``p``, else ``1/(1-p)``; same seed, same mask.

    ``p == 0`` keeps everything and ``p == 1`` drops everything.
    """
    key, threshold, keep = mask_params(p, seed)
    dt = np.dtype(np.float64 if np.dtype(dtype) == np.float64 else np.float32)
    out = empty(tuple(int(s) for s in shape), dt)
    with warnings.catch_warnings():
        if SIMULATOR:  # the simulator computes with numpy uint64 scalars, which warn on wrap
            warnings.simplefilter("ignore", RuntimeWarning)
        _mask.launch(out.size, flat(out), np.uint64(key), np.uint64(threshold),
                     scalar(dt, keep))
    return out


def reference_mask(shape: tuple[int, ...], p: float, dtype: Any, seed: int) -> np.ndarray:
    """The mask :func:`dropout_mask` makes, computed on the host with numpy."""
    key, threshold, keep = mask_params(p, seed)
    n = int(np.prod(shape, dtype=np.int64))
    with np.errstate(over="ignore"):
        bits = hash_bits(np.uint64(key), np.arange(n, dtype=np.uint64))
    dt = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    kept = bits >= np.uint64(threshold)
    return np.where(kept, dt(keep), dt(0)).astype(dt).reshape(shape)
