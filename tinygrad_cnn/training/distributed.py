"""What the training loop needs from a data-parallel job, and the same for one process.

:func:`world_of` gives the loop a :class:`LocalWorld` (one process: every method is the
identity) or an :class:`MPIWorld` when the model is wrapped in
:class:`~tinygrad_cnn.nn.parallel.DistributedDataParallel`. Through it the loop shards the
loader, sums each step's loss/accuracy counts over the ranks (so every rank prints and records
the same global figures and agrees on a NaN), weighs an uneven last shard so the step equals
one process's, agrees on Ctrl-C, lets rank 0 alone write files, and evaluates sharded.

Example:
    >>> from tinygrad_cnn import nn
    >>> w = world_of(nn.Linear(2, 2))
    >>> w.size, w.is_main, w.step_totals(1.5, 3, 4)
    (1, True, (1.5, 3, 4))
"""
from __future__ import annotations

import warnings
from typing import Any

from ..nn.module import Module


class LocalWorld:
    """One process: no sharding, no reductions."""

    rank, size, is_main, group = 0, 1, True, None

    def shard(self, loader: Any) -> Any:
        """The loader this rank iterates (one process: the loader itself)."""
        return loader

    def step_totals(self, loss_sum: float, correct: int, seen: int) -> tuple[float, int, int]:
        """This step's summed loss, correct predictions and images over all ranks."""
        return loss_sum, correct, seen

    def weigh(self, loss: Any, seen_here: int, seen_total: int) -> Any:
        """The loss to differentiate so that averaging over ranks gives the global mean."""
        return loss

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` holds on some rank."""
        return bool(flag)

    def barrier(self) -> None:
        """Wait for every rank."""

    def unwrap(self, model: Module) -> Module:
        """The model to save (without a data-parallel wrapper)."""
        return model


class MPIWorld(LocalWorld):
    """The ranks of a :class:`~tinygrad_cnn.distributed.ProcessGroup`."""

    def __init__(self, group: Any) -> None:
        self.group = group
        self.rank, self.size, self.is_main = group.rank, group.size, group.is_main

    def shard(self, loader: Any) -> Any:
        from ..data.distributed import ShardedLoader

        if isinstance(loader, ShardedLoader):
            return loader
        return ShardedLoader(loader, self.rank, self.size)

    def step_totals(self, loss_sum: float, correct: int, seen: int) -> tuple[float, int, int]:
        total_loss, total_correct, total_seen = self.group.sum_numbers(loss_sum, correct, seen)
        return total_loss, int(total_correct), int(total_seen)

    def weigh(self, loss: Any, seen_here: int, seen_total: int) -> Any:
        factor = self.size * seen_here / seen_total
        return loss if factor == 1.0 else loss * factor

    def any(self, flag: bool) -> bool:
        return self.group.any(flag)

    def barrier(self) -> None:
        self.group.barrier()

    def unwrap(self, model: Module) -> Module:
        return getattr(model, "module", model)


def world_of(model: Module) -> LocalWorld:
    """An :class:`MPIWorld` for a model wrapped in ``DistributedDataParallel`` over several
    processes, else a :class:`LocalWorld`."""
    from ..nn.parallel import DistributedDataParallel

    if isinstance(model, DistributedDataParallel) and model.process_group.size > 1:
        return MPIWorld(model.process_group)
    return LocalWorld()


def current_group() -> Any:
    """The process group when this process belongs to a job of several processes that called
    ``init_process_group``; else None (also when mpi4py is not installed)."""
    import sys

    dist = sys.modules.get("tinygrad_cnn.distributed")
    if dist is None or not dist.is_initialized():
        return None
    g = dist.group()
    return g if g.size > 1 else None


def decided_by_main(decide: Any) -> Any:
    """``decide()`` run on rank 0 alone and its (small, picklable) result given to every rank
    (e.g. the new run folder: one folder per job, not one per process); one process: just
    ``decide()``.

    Example:
        >>> decided_by_main(lambda: "runs/train/shapes-1")
        'runs/train/shapes-1'
    """
    g = current_group()
    if g is None:
        return decide()
    return g.comm.bcast(decide() if g.is_main else None, root=0)


def writer_lock(target: Any) -> Any:
    """The exclusive write lock of the checkpoint ``target`` for a ``with`` block, held by the
    process that writes it (rank 0 of a data-parallel job; the only process otherwise).

    Example:
        >>> import tempfile, os
        >>> with writer_lock(os.path.join(tempfile.mkdtemp(), "m.h5")):
        ...     pass
    """
    import contextlib

    from ..checkpoint.lock import output_lock

    g = current_group()
    return output_lock(target) if g is None or g.is_main else contextlib.nullcontext()


def world_size() -> int:
    """The number of processes training together (1 without a job)."""
    g = current_group()
    return g.size if g is not None else 1


def parallelize(model: Module, sync_bn: bool = False) -> Module:
    """``model`` wrapped in ``DistributedDataParallel`` inside a job of several processes
    (its batch norms first converted to ``SyncBatchNorm`` with ``sync_bn``), else ``model``
    itself."""
    g = current_group()
    if g is None:
        return model
    from ..nn import SyncBatchNorm
    from ..nn.parallel import DistributedDataParallel

    if sync_bn:
        model = SyncBatchNorm.convert_sync_batchnorm(model, process_group=g)
    return DistributedDataParallel(model, process_group=g)


def bind_device(device: str) -> None:
    """Inside a job, give this process GPU ``local_rank % device_count`` when ``device`` is
    CUDA (before any CUDA work)."""
    g = current_group()
    if g is not None and str(device).lower().startswith("cuda"):
        from ..distributed import select_cuda_device

        try:
            select_cuda_device(g.local_rank)
        except Exception:  # noqa: BLE001 - no GPU: check_device reports it in one line
            pass


def note_world_change(saved: Any, batch_size: int) -> None:
    """Warn (once, as one line) when a run resumes with another number of processes."""
    now = world_size()
    if saved is not None and int(saved) != now:
        warnings.warn(f"the run was saved by {int(saved)} process(es) and resumes with {now}: "
                      f"the global batch of {batch_size} and the schedule are unchanged; the "
                      f"continuation equals an uninterrupted run bit for bit only with the same "
                      f"number of processes (float rounding, per-process batch-norm "
                      f"statistics)", stacklevel=2)
