"""Matrix products on the GPU: ``np.matmul`` semantics on the shared tiled GEMM kernel.

Batch dimensions broadcast: an operand whose batch is all ones is read with batch stride 0;
any other mismatch is materialised with ``broadcast_to`` first (rare).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> a = from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> to_numpy(matmul(a, from_numpy(np.ones((3, 1), np.float32)))).tolist()
    [[3.0], [12.0]]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _gemm
from ._common import TILE, blocks_for, empty, flat, size_of
from .array import astype, zeros
from .movement import broadcast_to

__all__ = ["matmul"]

_MAX_GRID_Z = 65535  # the batch is the grid's z dimension


def _batch_stride(batch: tuple[int, ...], full: tuple[int, ...], mat: int) -> int | None:
    """Stride between matrices of an operand with batch shape ``batch`` read as ``full``."""
    if size_of(batch) == 1:
        return 0
    if (1,) * (len(full) - len(batch)) + batch == full:
        return mat
    return None


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False) -> Any:
    """``a @ b`` for 1-D, 2-D and batched ``(..., M, K) @ (..., K, N)`` operands; with
    ``transpose_a``/``transpose_b`` an operand is read with its last two axes swapped.

    Example:
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
        >>> x = from_numpy(np.ones((2, 4, 3)))
        >>> to_numpy(matmul(x, from_numpy(np.ones((3, 5))))).shape
        (2, 4, 5)
    """
    if b.dtype != a.dtype:
        b = astype(b, a.dtype)
    squeeze_m, squeeze_n = a.ndim == 1, b.ndim == 1
    if squeeze_m:
        a, transpose_a = a.reshape((1, a.shape[0])), False
    if squeeze_n:
        b, transpose_b = b.reshape((b.shape[0], 1)), False
    (M, K) = a.shape[-1:-3:-1] if transpose_a else a.shape[-2:]
    (K2, N) = b.shape[-1:-3:-1] if transpose_b else b.shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape} "
                         f"(transposed: {transpose_a}, {transpose_b})")
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    sa = _batch_stride(a.shape[:-2], batch, M * K)
    if sa is None:
        a, sa = broadcast_to(a, batch + tuple(a.shape[-2:])), M * K
    sb = _batch_stride(b.shape[:-2], batch, K * N)
    if sb is None:
        b, sb = broadcast_to(b, batch + tuple(b.shape[-2:])), K * N
    out = empty(batch + (M, N), a.dtype)
    nbatch = size_of(batch)
    if nbatch > _MAX_GRID_Z:
        raise ValueError(f"matmul on cuda: at most {_MAX_GRID_Z} matrices per call, got {nbatch}")
    if out.size and K == 0:
        return zeros(out.shape, a.dtype)
    geo = (sa, sb, int(transpose_a), int(transpose_b), M, K) + (0,) * (_gemm.GEO - 6)
    grid = (blocks_for(N, _gemm.BM), blocks_for(M, _gemm.BM), nbatch)
    _gemm.gemm.grid(grid, (TILE, TILE), _gemm.MATMUL, flat(a), flat(b), flat(out), flat(out),
                    M, N, K, K, 1, geo)
    if squeeze_m or squeeze_n:
        shape = batch + ((M,) if not squeeze_m else ()) + ((N,) if not squeeze_n else ())
        out = out.reshape(shape)
    return out
