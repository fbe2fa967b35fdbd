"""Sums over the ranks of one machine through MPI-3 shared memory, without message copies.

MPI's ``Allreduce`` between processes of one machine moves every byte through shared-memory
cells (copied in by the sender, out by the receiver: the ``mpich`` wheel has no single-copy
transport), several times per reduction. A :class:`SharedSum` instead gives each rank its
own part of one shared-memory window (``MPI.Win.Allocate_shared``); each rank writes its
values there, and :meth:`SharedSum.sum` has rank ``r`` add the ``r``-th slice of every rank's
part, in rank order (0, 1, ..., N-1), in cache-sized chunks, and write the result into every
part. Every rank then holds the same bits, and two runs give the same bits: the order of the
additions is fixed. It serves when all ranks share one machine
(``ProcessGroup.local_size == ProcessGroup.size``); across machines MPI's own allreduce does.

Example (a world of one process: the sum is the values themselves):
    >>> from mpi4py import MPI
    >>> s = SharedSum(MPI.COMM_WORLD, 64)
    >>> a = s.view(0, 3, np.float32); a[:] = [1.0, 2.0, 3.0]
    >>> s.sum(0, 3, np.float32); a.tolist()
    [1.0, 2.0, 3.0]
    >>> s.close()
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from mpi4py import MPI

#: elements added per chunk (256 KiB of float32: the chunk stays in a core's cache)
CHUNK = 1 << 16


def room_for(nbytes: int, path: str = "/dev/shm") -> bool:
    """Whether the machine's shared-memory file system has twice ``nbytes`` free (a full
    tmpfs kills a process with SIGBUS when it touches the page; containers often mount 64 MB).

    Example:
        >>> room_for(0)
        True
    """
    try:
        st = os.statvfs(path)
    except OSError:  # no such file system: MPI maps its windows another way
        return True
    return st.f_bavail * st.f_frsize >= 2 * int(nbytes)


class SharedSum:
    """``nbytes`` of shared memory per rank of a machine-wide communicator, and the
    fixed-order sum of a byte range over the ranks (see the module docstring).

    Args:
        comm: a communicator whose ranks all run on this machine.
        nbytes: the size of each rank's part.
    """

    def __init__(self, comm: Any, nbytes: int) -> None:
        self.comm = comm.Dup()
        self.rank, self.size = int(self.comm.Get_rank()), int(self.comm.Get_size())
        self.nbytes = int(nbytes)
        self.win = MPI.Win.Allocate_shared(max(self.nbytes, 1), 1, comm=self.comm)
        self.parts = []
        for q in range(self.size):
            memory, _ = self.win.Shared_query(q)
            self.parts.append(np.frombuffer(memory, np.uint8, self.nbytes))
        self.win.Lock_all()

    def view(self, offset: int, count: int, dtype: Any, rank: int | None = None) -> np.ndarray:
        """``count`` values of ``dtype`` at byte ``offset`` of a rank's part (default: this
        rank's), as a writable numpy array."""
        part = self.parts[self.rank if rank is None else rank]
        dtype = np.dtype(dtype)
        return part[offset:offset + count * dtype.itemsize].view(dtype)

    def _sync(self) -> None:
        self.win.Sync()
        self.comm.Barrier()
        self.win.Sync()

    def sum(self, offset: int, count: int, dtype: Any) -> None:
        """Replace, on every rank, the ``count`` values at ``offset`` by their sum over the
        ranks (a collective: every rank calls it with the same arguments)."""
        if self.size == 1:
            return
        self._sync()  # every rank has written its values
        parts = [self.view(offset, count, dtype, q) for q in range(self.size)]
        lo, hi = self.rank * count // self.size, (self.rank + 1) * count // self.size
        chunk = np.empty(min(CHUNK, max(hi - lo, 0)), parts[0].dtype)
        for a in range(lo, hi, CHUNK):
            b = min(a + CHUNK, hi)
            t = chunk[:b - a]
            np.add(parts[0][a:b], parts[1][a:b], out=t)
            for p in parts[2:]:
                np.add(t, p[a:b], out=t)
            for p in parts:
                p[a:b] = t
        self._sync()  # every slice is summed everywhere

    def close(self) -> None:
        """Release the shared memory (a collective)."""
        if self.win is not None:
            self.parts = []
            self.win.Unlock_all()
            self.win.Free()
            self.comm.Free()
            self.win = None
