"""Dropout masks on the GPU from a counter-based hash: deterministic in the seed alone.

Element ``i`` of the mask draws ``splitmix64(key + (i + 1) * GOLDEN)`` where ``key`` is the
splitmix64 hash of the seed: no generator state, no per-thread streams, the same mask for
any launch shape and for float32 and float64. The top 24 bits form an integer ``u`` in
``[0, 2**24)``; the element is dropped when ``u < ceil(p * 2**24)``, an exact integer test.
:func:`reference_mask` computes the same mask with numpy (tests, or a CPU twin).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import to_numpy
    >>> m = to_numpy(dropout_mask((2, 3), 0.5, np.float32, seed=0))
    >>> bool(np.isin(m, [0.0, 2.0]).all())
    True
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numba import cuda, uint64

from ._common import SIMULATOR, empty, flat, float32, kernel, scalar

__all__ = ["dropout_mask", "reference_mask"]

GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1
_BITS = 24


def _splitmix64(z: int) -> int:
    z = (z + GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


@kernel("void({t}[::1], uint64, uint64, {t})")
def _mask(out, key, threshold, keep):
    i = cuda.grid(1)
    if i < out.size:
        z = key + (uint64(i) + uint64(1)) * uint64(GOLDEN)
        z = (z ^ (z >> uint64(30))) * uint64(_M1)
        z = (z ^ (z >> uint64(27))) * uint64(_M2)
        z = z ^ (z >> uint64(31))
        out[i] = keep if (z >> uint64(64 - _BITS)) >= threshold else float32(0)


def _params(p: float, seed: int) -> tuple[int, int, float]:
    p = float(p)
    threshold = min(1 << _BITS, max(0, math.ceil(p * (1 << _BITS))))
    keep = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    # splitmix64 of the seed minus one step, so that element i gets state key + (i+1)*GOLDEN.
    key = (_splitmix64(int(seed) & _MASK64) - GOLDEN) & _MASK64
    return key, threshold, keep


def dropout_mask(shape: tuple[int, ...], p: float, dtype: Any, seed: int) -> Any:
    """Mask of ``shape``: ``0`` with probability ``p``, else ``1/(1-p)``; same seed, same mask.

    ``p == 0`` keeps everything and ``p == 1`` drops everything.
    """
    key, threshold, keep = _params(p, seed)
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
    key, threshold, keep = _params(p, seed)
    n = int(np.prod(shape, dtype=np.int64))
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        z = z ^ (z >> np.uint64(31))
    dt = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    kept = (z >> np.uint64(64 - _BITS)) >= np.uint64(threshold)
    return np.where(kept, dt(keep), dt(0)).astype(dt).reshape(shape)
