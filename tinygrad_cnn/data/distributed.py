"""Sharding the batches of a :class:`~tinygrad_cnn.data.DataLoader` over the ranks of a
data-parallel job (independent of MPI: only the rank and the number of ranks are needed).

The rule: every rank draws the same seeded permutation of the epoch and cuts the same global
batches (``batch_size`` is the global batch); rank ``r`` of ``n`` keeps the ``r``-th of ``n``
consecutive, nearly equal pieces of each global batch (sizes differ by at most one, the first
ranks take the extra images). The shards of one epoch are disjoint and their union is the
whole epoch; one step of ``n`` ranks sees exactly the images one process would see in that
step. A last, smaller global batch is split the same way; every rank must get at least one
image, so callers drop a last batch smaller than ``n`` (:func:`drop_last_for`).

Example:
    >>> [shard_bounds(5, r, 2) for r in range(2)]
    [(0, 3), (3, 5)]
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .errors import DataError


def shard_bounds(batch_len: int, rank: int, world_size: int) -> tuple[int, int]:
    """``[start, stop)`` of rank ``rank``'s piece of a global batch of ``batch_len`` items.

    Example:
        >>> [shard_bounds(7, r, 3) for r in range(3)]
        [(0, 3), (3, 5), (5, 7)]
    """
    if not 0 <= rank < world_size:
        raise DataError(f"rank must be in 0..{world_size - 1}, got {rank}")
    base, extra = divmod(int(batch_len), int(world_size))
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def drop_last_for(num_examples: int, batch_size: int, world_size: int, min_per_rank: int = 1
                  ) -> bool:
    """Whether the last global batch must be dropped: it would leave some rank fewer than
    ``min_per_rank`` images (``min_per_rank=2`` for batch norm in training, which needs two
    values per channel).

    Example:
        >>> drop_last_for(33, 32, 2), drop_last_for(34, 32, 2, 2), drop_last_for(36, 32, 2, 2)
        (True, True, False)
    """
    rest = int(num_examples) % int(batch_size)
    return 0 < rest < int(world_size) * int(min_per_rank)


class DistributedSampler:
    """Which part of each global batch belongs to one rank (see the module docstring).

    Example:
        >>> s = DistributedSampler(rank=1, world_size=2)
        >>> s.shard(np.arange(5)).tolist()
        [3, 4]
    """

    def __init__(self, rank: int, world_size: int) -> None:
        if isinstance(world_size, bool) or int(world_size) < 1:
            raise DataError(f"world size must be a positive integer, got {world_size!r}")
        self.rank, self.world_size = int(rank), int(world_size)
        shard_bounds(0, self.rank, self.world_size)  # checks the rank

    def shard(self, batch: Any) -> Any:
        """This rank's piece of a global batch (an array or a sequence)."""
        lo, hi = shard_bounds(len(batch), self.rank, self.world_size)
        return batch[lo:hi]


class ShardedLoader:
    """A loader yielding this rank's shard of each global batch of ``loader``.

    ``len``, ``position``, ``epoch``, ``state_dict`` and ``load_state_dict`` are the global
    loader's, so a checkpoint's loader state does not depend on the number of ranks.
    ``global_batch`` is the size of the global batch last handed out. Each rank prepares the
    whole global batch (gather, normalisation, augmentation with the batch's own random
    stream) and keeps its piece, so the images and their augmentation are exactly those one
    process would use.

    Example:
        >>> from tinygrad_cnn.data import DataLoader
        >>> x = np.zeros((10, 1, 2, 2), np.uint8); y = np.arange(10)
        >>> dl = ShardedLoader(DataLoader(x, y, batch_size=4, shuffle=False), rank=0, world_size=2)
        >>> [yb.tolist() for _, yb in dl]
        [[0, 1], [4, 5], [8]]
    """

    def __init__(self, loader: Any, rank: int, world_size: int) -> None:
        self.loader = loader
        self.sampler = DistributedSampler(rank, world_size)
        self.global_batch = 0

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for xb, yb in self.loader:
            if len(yb) < self.sampler.world_size:
                raise DataError(f"a batch of {len(yb)} images cannot be shared by "
                                f"{self.sampler.world_size} processes; use a batch size of at "
                                f"least {self.sampler.world_size}")
            self.global_batch = len(yb)
            yield self.sampler.shard(xb), self.sampler.shard(yb)

    @property
    def position(self) -> int:
        return self.loader.position

    @property
    def epoch(self) -> int:
        return self.loader.epoch

    @property
    def batch_size(self) -> int:
        return self.loader.batch_size

    def state_dict(self) -> dict:
        return self.loader.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.loader.load_state_dict(state)
