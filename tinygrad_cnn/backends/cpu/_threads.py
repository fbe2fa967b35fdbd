"""Run independent work items on a few Python threads, each calling single-threaded BLAS.

Why not one multi-threaded GEMM after a Numba ``prange`` kernel: OpenBLAS's own threads
synchronise by spinning, and on a machine shared with other processes a descheduled BLAS thread
stalls its partner; a 32x64x32x32 convolution measured 0.3-1 s that way against 60-150 ms for
PyTorch under the same load. Here every worker owns whole work items (im2col into its own
buffer, then a GEMM) and only the final join synchronises; numpy and the ``nogil`` Numba kernels
release the GIL, so the workers run in parallel. During such a call OpenBLAS is switched to one
thread (process-wide: ``openblas_set_num_threads_local`` is not thread-local in pthreads builds)
and restored afterwards.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import numba
import numpy as np

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1
_blas: tuple[Any, Any] | None | bool = False  # False: not looked up yet; None: not found


def _openblas_paths() -> list[str]:
    """Paths of the OpenBLAS libraries numpy may have loaded (its own wheel copy first)."""
    root = os.path.dirname(np.__file__)
    paths = sorted(glob.glob(os.path.join(root, "..", "numpy.libs", "*openblas*")))
    paths += sorted(glob.glob(os.path.join(root, ".dylibs", "*openblas*")))
    try:
        with open("/proc/self/maps") as maps:  # Linux: whatever is really mapped
            paths += sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        pass
    return paths


def _find_blas() -> tuple[Any, Any] | None:
    """``(get_num_threads, set_num_threads)`` of the loaded OpenBLAS, or ``None``."""
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in itertools.product(("scipy_", ""), ("64_", "_64", "")):
            get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit OpenBLAS to one thread inside the block (no-op when it cannot be found)."""
    global _blas
    if _blas is False:
        _blas = _find_blas()
    if _blas is None:
        yield
        return
    get, set_ = _blas
    old = get()
    if old != 1:
        set_(1)
    try:
        yield
    finally:
        if old != 1:
            set_(old)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """OpenBLAS on one thread inside the block, serialised with :func:`parallel_items` (the
    thread count is a process-wide setting that both change and restore)."""
    with _lock, single_threaded_blas():
        yield


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # a forked child has no threads: make new ones
        _pool = ThreadPoolExecutor(max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                   thread_name_prefix="tgcnn-cpu")
        _pool_pid = os.getpid()
    return _pool


def item_ranges(total: int, nbytes: int, block_bytes: int, fewest: int) -> list[tuple[int, int]]:
    """Ranges ``(a, b)`` of ``range(total)``, one work item each, for work of ``nbytes`` in
    all: blocks of at most ``block_bytes``, at least ``fewest`` of them, their count rounded up
    to a multiple of 4 (at most ``total``), of nearly equal size. An odd count of ~1 ms items
    left one of two threads idle for a whole item at the end (measured 1.1 ms per call at
    512 -> 512 channels, 4x4); the count depends on the shapes only, never on the threads.

    Example:
        >>> item_ranges(10, 100, 60, 1)
        [(0, 2), (2, 5), (5, 7), (7, 10)]
    """
    return split(total, -(-max(fewest, -(-nbytes // block_bytes)) // 4) * 4)


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """``min(parts, total)`` (at least 1) ranges ``(a, b)`` covering ``range(total)``, of
    nearly equal size.

    Example:
        >>> split(10, 4)
        [(0, 2), (2, 5), (5, 7), (7, 10)]
    """
    parts = max(1, min(parts, total))
    return [(i * total // parts, (i + 1) * total // parts) for i in range(parts)]


def parallel_items(n_items: int, body: Callable[[Any, int], None],
                   init: Callable[[], Any] | None = None) -> list[Any]:
    """Call ``body(state, i)`` for every ``i < n_items`` on up to ``numba.get_num_threads()``
    threads (the caller is one of them); items are handed out dynamically, so a thread that
    loses its core to another process just takes fewer. ``state = init()`` is per thread;
    the states are returned. ``body`` must only write to what item ``i`` owns.

    Example:
        >>> out = np.zeros(4)
        >>> _ = parallel_items(4, lambda _, i: out.__setitem__(i, i * i))
        >>> out
        array([0., 1., 4., 9.])
    """
    workers = max(1, min(numba.get_num_threads(), n_items))
    counter = itertools.count()  # next() on it is atomic under the GIL

    def work() -> Any:
        state = init() if init is not None else None
        for i in counter:
            if i >= n_items:
                return state
            body(state, i)
        return state  # unreachable: count() never ends

    if workers == 1:  # BLAS single-threaded too: the same GEMM calls as with more workers
        with _lock, single_threaded_blas():
            return [work()]
    with _lock:  # one parallel call at a time: BLAS threads are a process-wide setting
        with single_threaded_blas():
            futures = [_executor().submit(work) for _ in range(workers - 1)]
            try:
                states = [work()]
            finally:
                done = [f.result() for f in futures]  # wait even if ours raised
            return states + done
