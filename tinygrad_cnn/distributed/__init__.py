"""Data-parallel training across processes and machines on MPI (through ``mpi4py``), with
PyTorch's names: ``init_process_group``, ``get_rank``, ``get_world_size``, ``all_reduce``,
``broadcast``, ``barrier``, ``destroy_process_group``.

Install with ``pip install -e ".[mpi]"`` (``mpi4py`` and the ``mpich`` wheel, which ships
``mpiexec``), then launch N processes with ``mpiexec -n N python script.py`` or
``mpiexec -n N tgcnn train ...``. Collectives work on CPU and CUDA tensors (CUDA through host
buffers: a CUDA-aware MPI is not assumed).

Example (one process is a world of one; under ``mpiexec -n 2`` the sum is 1.0):
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import distributed as dist
    >>> dist.init_process_group(backend="mpi")
    >>> t = tg.Tensor([float(dist.get_rank())])
    >>> dist.all_reduce(t, op="sum")
    >>> t.numpy().tolist() == [float(sum(range(dist.get_world_size())))]
    True
"""
from __future__ import annotations

try:
    import mpi4py  # noqa: F401
except ImportError:  # one line naming the extra, not a traceback into mpi4py
    raise ImportError("tinygrad_cnn.distributed needs mpi4py: install the 'mpi' extra "
                      "(pip install \"tinygrad-cnn[mpi]\", or pip install mpi4py mpich)") from None

from .faults import abort_on_error, run_agreed  # noqa: E402
from .group import (ProcessGroup, all_reduce, barrier, broadcast,  # noqa: E402
                    destroy_process_group, get_local_rank, get_rank, get_world_size, group, init_process_group,
                    is_initialized, mpi_library)
from .launch import select_cuda_device, threads_per_process, use_threads  # noqa: E402

__all__ = ["init_process_group", "is_initialized", "get_rank", "get_world_size",
           "get_local_rank", "all_reduce", "broadcast", "barrier", "destroy_process_group",
           "group", "ProcessGroup", "mpi_library", "select_cuda_device",
           "threads_per_process", "use_threads", "abort_on_error", "run_agreed"]
