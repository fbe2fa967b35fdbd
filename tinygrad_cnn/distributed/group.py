"""The process group: MPI's world communicator and the collectives on tensors and arrays.

Reductions use MPI's buffer calls (``Allreduce`` with ``MPI.IN_PLACE``) on contiguous host
arrays; a CUDA tensor goes through a host copy. For a given world size and message size MPICH
picks one algorithm and one order of additions, so repeated runs give the same bits, and every
rank receives the same result.

Example:
    >>> init_process_group()
    >>> a = np.arange(3, dtype=np.float64)
    >>> all_reduce(a)
    >>> a.tolist() == [float(i * get_world_size()) for i in range(3)]
    True
"""
from __future__ import annotations

from typing import Any

import numpy as np
from mpi4py import MPI

_OPS = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}
_group: "ProcessGroup | None" = None


class ProcessGroup:
    """The ranks taking part in training: rank, size, node-local rank, and collectives on
    numpy arrays (in place). A second communicator carries control messages (error agreement)
    so they never interleave with the gradient reductions.

    Example:
        >>> g = ProcessGroup(MPI.COMM_WORLD)
        >>> 0 <= g.rank < g.size
        True
    """

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.control = comm.Dup()
        self.rank, self.size = int(comm.Get_rank()), int(comm.Get_size())
        node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = int(node.Get_rank()), int(node.Get_size())
        node.Free()

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0 (the one that prints and writes files)."""
        return self.rank == 0

    def allreduce(self, array: np.ndarray, op: str = "sum") -> np.ndarray:
        """Reduce a contiguous numpy array over all ranks, in place; returns it."""
        if op not in _OPS:
            raise ValueError(f"all_reduce: op must be one of {', '.join(_OPS)}, got {op!r}")
        if not array.flags.c_contiguous or not array.flags.writeable:
            raise ValueError("all_reduce: the array must be C-contiguous and writeable")
        if array.size:
            self.comm.Allreduce(MPI.IN_PLACE, array, op=_OPS[op])
        return array

    def iallreduce(self, array: np.ndarray) -> Any:
        """Start a sum of ``array`` over all ranks in place; returns the request to wait on."""
        return self.comm.Iallreduce(MPI.IN_PLACE, array, op=MPI.SUM)

    def broadcast(self, array: np.ndarray, src: int = 0) -> np.ndarray:
        """Overwrite ``array`` on every rank with rank ``src``'s values, in place; returns it."""
        if not 0 <= int(src) < self.size:
            raise ValueError(f"broadcast: src must be a rank in 0..{self.size - 1}, got {src}")
        if array.size:
            self.comm.Bcast(array, root=int(src))
        return array

    def sum_numbers(self, *values: float) -> list[float]:
        """Sums over ranks of a few float64 numbers (one small reduction)."""
        buf = np.array(values, np.float64)
        self.allreduce(buf)
        return buf.tolist()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on at least one rank."""
        buf = np.array([1 if flag else 0], np.int64)
        self.allreduce(buf, "max")
        return bool(buf[0])

    def barrier(self) -> None:
        """Wait until every rank has arrived."""
        self.comm.Barrier()


def mpi_library() -> str:
    """The MPI implementation and version, one line (e.g. ``MPICH 5.0.2``).

    Example:
        >>> mpi_library().split()[0] in ("MPICH", "Open", "Intel(R)", "Microsoft")
        True
    """
    text = MPI.Get_library_version().strip().splitlines()[0]
    words = text.replace("Version:", " ").replace(",", " ").split()
    if words[:1] == ["MPICH"] and len(words) > 1:
        return f"MPICH {words[1]}"
    return " ".join(words[:4])


def init_process_group(backend: str = "mpi") -> None:
    """Join the world of processes started by ``mpiexec`` (a world of one without it).
    Calling it again is a no-op. In a world of several, an uncaught exception on any rank
    prints its traceback and then ends every rank (``MPI_Abort``) instead of leaving the others
    waiting in a collective.

    Example:
        >>> init_process_group("mpi"); is_initialized()
        True
    """
    global _group
    if backend != "mpi":
        raise ValueError(f"init_process_group: backend must be 'mpi', got {backend!r}")
    if _group is None:
        _group = ProcessGroup(MPI.COMM_WORLD)
        if _group.size > 1:
            from .faults import install_excepthook

            install_excepthook()


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has been called (and not destroyed)."""
    return _group is not None


def group() -> ProcessGroup:
    """The current process group; a one-line ``RuntimeError`` before ``init_process_group``."""
    if _group is None:
        raise RuntimeError("the process group is not initialised: call "
                           "tinygrad_cnn.distributed.init_process_group() first")
    return _group


def get_rank() -> int:
    """This process's rank, 0..world size - 1."""
    return group().rank


def get_world_size() -> int:
    """The number of processes."""
    return group().size


def get_local_rank() -> int:
    """This process's rank among the processes on its machine (picks its GPU)."""
    return group().local_rank


def _host(tensor: Any) -> tuple[np.ndarray, bool]:
    """A contiguous writable host array of ``tensor``'s data, and whether it is a copy."""
    from ..tensor import Tensor

    if isinstance(tensor, Tensor):
        if tensor.device == "cpu":
            data = tensor._array
            if data.flags.c_contiguous and data.flags.writeable:
                return data, False
            return np.ascontiguousarray(data).copy(), True
        return tensor.numpy(), True
    if isinstance(tensor, np.ndarray):
        return tensor, False
    raise TypeError(f"expected a Tensor or a numpy array, got {type(tensor).__name__}")


def _write_back(tensor: Any, host: np.ndarray) -> None:
    from ..backends import get_backend

    tensor.data = get_backend(tensor.device).from_numpy(host)


def all_reduce(tensor: Any, op: str = "sum") -> None:
    """Reduce ``tensor`` (a ``Tensor`` on any device, or a numpy array) over all ranks, in
    place: afterwards every rank holds the same values. ``op``: sum, max, min or prod.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> t = Tensor([1.0, 2.0]); all_reduce(t, op="max"); t.numpy().tolist()
        [1.0, 2.0]
    """
    host, copied = _host(tensor)
    group().allreduce(host, op)
    if copied:
        _write_back(tensor, host)


def broadcast(tensor: Any, src: int = 0) -> None:
    """Give every rank rank ``src``'s values of ``tensor``, in place.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> t = Tensor([float(get_rank())]); broadcast(t, src=0); t.numpy().tolist()
        [0.0]
    """
    host, copied = _host(tensor)
    group().broadcast(host, src)
    if copied:
        _write_back(tensor, host)


def barrier() -> None:
    """Wait until every rank has arrived."""
    group().barrier()


def destroy_process_group() -> None:
    """Leave the process group (MPI itself is finalised when the process exits)."""
    global _group
    if _group is not None:
        _group.control.Free()
        _group = None
