"""What each process of a job uses: its share of the CPU cores and its GPU.

Example:
    >>> threads_per_process(local_size=2, cores=2)
    1
"""
from __future__ import annotations

import os


def threads_per_process(local_size: int, cores: int | None = None) -> int:
    """The cores of this machine divided among the job's processes on it (at least 1).

    Example:
        >>> threads_per_process(3, cores=8)
        2
    """
    cores = cores if cores is not None else (len(os.sched_getaffinity(0))
                                             if hasattr(os, "sched_getaffinity")
                                             else os.cpu_count() or 1)
    return max(1, int(cores) // max(1, int(local_size)))


def use_threads(n: int) -> int:
    """Limit this process's Numba kernels and OpenBLAS to ``n`` threads (an explicit
    ``NUMBA_NUM_THREADS`` caps it); returns the count in force.

    Example:
        >>> import numba; before = numba.get_num_threads()
        >>> use_threads(1)
        1
        >>> use_threads(before) == before
        True
    """
    import numba

    n = max(1, min(int(n), int(numba.config.NUMBA_NUM_THREADS)))
    numba.set_num_threads(n)
    from ..backends.cpu._threads import _find_blas  # the loaded OpenBLAS's thread setter

    blas = _find_blas()
    if blas is not None:
        blas[1](n)
    return n


def select_cuda_device(local_rank: int) -> int:
    """Bind this process to GPU ``local_rank % device_count`` (before any CUDA work);
    returns the GPU index.

    Example:
        >>> select_cuda_device(3)                      # doctest: +SKIP
        1
    """
    from numba import cuda

    count = len(cuda.gpus)
    if count == 0:
        raise RuntimeError("CUDA requested but no GPU is visible to this process")
    index = int(local_rank) % count
    cuda.select_device(index)
    return index
