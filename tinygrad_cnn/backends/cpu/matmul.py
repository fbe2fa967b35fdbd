"""Matrix products through numpy's BLAS (faster than any Numba loop on this hardware).

Small products run on one BLAS thread: waking OpenBLAS's second thread costs more than it
saves below a few tens of MFLOP, and on a busy machine a descheduled partner thread stalled a
32x512x512 product from 0.2 ms to 6-16 ms (measured in the VGG-11 step's classifier head).
"""
from __future__ import annotations

import numpy as np

from ._threads import one_blas_thread

__all__ = ["matmul"]

# Multiply-adds below which one BLAS thread is used (about 0.4 ms of one core).
_SMALL_PRODUCT = 1 << 25


def matmul(a: np.ndarray, b: np.ndarray, transpose_a: bool = False,
           transpose_b: bool = False) -> np.ndarray:
    """``np.matmul`` for 2-D and batched operands; a transposed operand is a strided view,
    which BLAS reads directly (no copy).

    Example:
        >>> matmul(np.ones((2, 3)), np.ones((4, 3)), transpose_b=True).shape
        (2, 4)
    """
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    if a.ndim >= 2 and b.ndim >= 2:
        batch = max(a.size // max(1, a.shape[-2] * a.shape[-1]), 1)
        if batch * a.shape[-2] * a.shape[-1] * b.shape[-1] < _SMALL_PRODUCT:
            with one_blas_thread():
                return np.matmul(a, b)
    return np.matmul(a, b)
