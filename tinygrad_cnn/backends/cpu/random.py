"""Random masks on the CPU (dropout).

Uniform draws come from numpy's ``Generator(PCG64(seed))`` so a mask depends on the seed
alone (not on thread count); a ``prange`` kernel turns them into the scaled keep-mask.

Example:
    >>> m = dropout_mask((2, 3), 0.5, np.float32, seed=0)
    >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["dropout_mask"]


@njit(cache=True, parallel=True)
def _threshold_kernel(u, p, scale, out):
    zero = out.dtype.type(0)
    keep = out.dtype.type(scale)
    thresh = u.dtype.type(p)
    for i in prange(u.size):
        # u is uniform on [0, 1): u < p with probability p.
        out[i] = zero if u[i] < thresh else keep


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
    p = float(p)
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    u = np.random.Generator(np.random.PCG64(int(seed))).random(shape, dtype=dt).reshape(-1)
    out = np.empty(u.size, dt)
    _threshold_kernel(u, p, scale, out)
    return out.reshape(shape)
