"""BLAS GEMMs called from Numba, and work items run inside one Numba parallel loop.

The convolution drivers cut their work into items (each owns part of the output); on Python
threads (:mod:`._threads`) every item and every call takes the GIL back at least once, and a
thread waiting for the GIL sleeps ~70-80 us on this kind of VM: measured ~80 us per parallel
call and 10-15 % of the time of GEMM items. Here the items run in a Numba ``prange`` over the
threads, each thread taking the next item from an atomic counter (a thread that loses its core
to another process just takes fewer), and the GEMMs go straight to the ``cblas_sgemm`` of the
OpenBLAS numpy loaded (ILP64: 64-bit integers), single-threaded like on the Python threads.

The symbol is registered with LLVM under a fixed name (``tgcnn_sgemm``), so cached kernels do
not depend on how this numpy's OpenBLAS spells it; :func:`available` says whether it was
found. Where it was not (another BLAS), and for float64 (gradient checks, not training: each
dtype would double the kernels' compile time, ~50 s), the drivers keep their Python thread
path: the kernels here must not be called then.

Example:
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3); c = np.empty((2, 2), np.float32)
    >>> if available(a.dtype):
    ...     with items_lock():  # OpenBLAS on one thread, as inside the item kernels
    ...         gemm(a, a.T, c, 0.0)
    ... else:
    ...     c[...] = a @ a.T
    >>> c
    array([[ 5., 14.],
           [14., 50.]], dtype=float32)
"""
from __future__ import annotations

import contextlib
import ctypes
import os
from typing import Any, Callable, Iterator

import llvmlite.binding as llvm
import numba
import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from ._threads import _lock, _openblas_paths, single_threaded_blas

__all__ = ["available", "items_lock", "run_items", "counters", "next_item", "gemm"]

# The values of CBLAS's enums (cblas.h): row-major storage, no transpose, transpose.
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = ("scipy_cblas_sgemm64_", "cblas_sgemm64_", "cblas_sgemm_64")
_found: bool | None = None
_i64, _ptr, _f32 = types.int64, types.uintp, types.float32
_sgemm = types.ExternalFunction("tgcnn_sgemm", types.void(
    types.int32, types.int32, types.int32, _i64, _i64, _i64, _f32, _ptr, _i64, _ptr, _i64, _f32,
    _ptr, _i64))


def _bind() -> bool:
    """Register numpy's OpenBLAS ILP64 ``cblas_sgemm`` with LLVM."""
    if os.environ.get("TGCNN_CPU_ITEMS", "numba") == "threads":
        return False  # the Python thread path, on request (tests compare the two)
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SYMBOLS:
            sgemm = getattr(lib, name, None)
            if sgemm is not None:
                llvm.add_symbol("tgcnn_sgemm", ctypes.cast(sgemm, ctypes.c_void_p).value)
                return True
    return False


def available(dtype: np.dtype) -> bool:
    """Whether the convolution drivers' items for arrays of ``dtype`` run in Numba: float32,
    an ILP64 OpenBLAS was found, and ``TGCNN_CPU_ITEMS`` is not ``threads``.

    Example:
        >>> available(np.dtype(np.float64))
        False
    """
    global _found
    if dtype != np.float32:
        return False
    if _found is None:
        _found = _bind()
    return _found


@contextlib.contextmanager
def items_lock() -> Iterator[None]:
    """Hold around a call of item kernels: OpenBLAS on one thread (a process-wide setting),
    one such call at a time, like :func:`._threads.parallel_items`."""
    with _lock, single_threaded_blas():
        yield


def counters(phases: int = 1) -> np.ndarray:
    """Zeroed item counters, one per parallel loop of a kernel call."""
    return np.zeros(phases, np.int64)


def run_items(kernel: Callable, *args: Any) -> None:
    """``kernel(*args, counter, threads)`` under :func:`items_lock`: an item kernel whose
    ``prange(threads)`` has one iteration per Numba thread, each taking items from
    ``counter[0]`` (:func:`next_item`) until none is left."""
    with items_lock():
        kernel(*args, counters(), numba.get_num_threads())


@intrinsic
def next_item(typingctx, counter, phase):
    """``counter[phase]`` before adding one to it, atomically: the next item of a loop."""
    sig = types.int64(counter, types.intp)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        slot = builder.gep(array.data, [args[1]])
        one = context.get_constant(types.int64, 1)
        return builder.atomic_rmw("add", slot, one, "monotonic")

    return sig, codegen


@njit(nogil=True, cache=True, inline="always")
def _layout(rows, cols, s0, s1, size):
    """(transpose flag, leading dimension) of a row-major CBLAS operand with strides (s0, s1)
    in bytes: unit steps along the rows as it is, along the columns as a transpose."""
    if s1 == size or cols == 1:
        return _NO_TRANS, max(s0 // size, cols, 1)
    return _TRANS, max(s1 // size, rows, 1)


@njit(nogil=True, cache=True)
def gemm(a, b, c, beta):
    """``c = a @ b + beta * c`` for 2-D float32 ``a`` (M, K) and ``b`` (K, N), each with unit
    steps along one of its axes, and ``c`` (M, N) with unit steps along its rows."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    size = 4
    if k == 0:
        for i in range(m):
            for j in range(n):
                c[i, j] = c[i, j] * np.float32(beta) if beta != 0 else np.float32(0)
        return
    ta, lda = _layout(m, k, a.strides[0], a.strides[1], size)
    tb, ldb = _layout(k, n, b.strides[0], b.strides[1], size)
    ldc = max(c.strides[0] // size, n, 1)
    _sgemm(_ROW_MAJOR, ta, tb, m, n, k, np.float32(1), a.ctypes.data, lda, b.ctypes.data, ldb,
           np.float32(beta), c.ctypes.data, ldc)
