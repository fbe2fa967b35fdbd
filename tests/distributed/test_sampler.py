"""The distributed sampler: shards of every global batch are disjoint, their union is the
epoch, and the sharded loader's state is the global loader's (no MPI needed)."""
import numpy as np
import pytest

from tinygrad_cnn.data import DataError, DataLoader
from tinygrad_cnn.data.distributed import (DistributedSampler, ShardedLoader, drop_last_for,
                                           shard_bounds)


@pytest.mark.parametrize("world", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n,batch", [(50, 8), (48, 8), (13, 13), (20, 7)])
def test_shards_are_disjoint_and_complete(world, n, batch):
    if batch < world:
        pytest.skip("a batch smaller than the world cannot be shared")
    x = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1)
    y = np.arange(n)
    drop = drop_last_for(n, batch, world)  # a last batch too small to give every rank one

    def loader():
        return DataLoader(x, y, batch, seed=3, drop_last=drop)

    single = [yb.tolist() for _, yb in loader()]
    shards = [[yb.tolist() for _, yb in ShardedLoader(loader(), r, world)] for r in range(world)]
    seen = [i for rank in shards for b in rank for i in b]
    epoch = sorted(i for b in single for i in b)
    assert len(epoch) == (n - n % batch if drop else n)
    assert sorted(seen) == epoch and len(seen) == len(epoch)  # disjoint and complete
    for step, global_batch in enumerate(single):  # each step: the single process's batch
        assert sum((rank[step] for rank in shards), []) == global_batch
        sizes = [len(rank[step]) for rank in shards]
        assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_the_epoch_permutation_is_seeded():
    x, y = np.zeros((30, 1, 1, 1), np.uint8), np.arange(30)
    a = [yb.tolist() for _, yb in ShardedLoader(DataLoader(x, y, 10, seed=1), 1, 2)]
    b = [yb.tolist() for _, yb in ShardedLoader(DataLoader(x, y, 10, seed=1), 1, 2)]
    c = [yb.tolist() for _, yb in ShardedLoader(DataLoader(x, y, 10, seed=2), 1, 2)]
    assert a == b and a != c


def test_augmentation_is_the_single_process_one():
    x = np.random.default_rng(0).integers(0, 255, (12, 3, 8, 8)).astype(np.uint8)
    y = np.arange(12)
    one = [xb for xb, _ in DataLoader(x, y, 6, seed=0, augment=True, flip=True)]
    for r in range(3):
        loader = DataLoader(x, y, 6, seed=0, augment=True, flip=True)
        part = [xb for xb, _ in ShardedLoader(loader, r, 3)]
        for full, mine in zip(one, part):
            assert np.array_equal(full[2 * r:2 * r + 2], mine)


def test_state_is_the_global_loaders():
    x, y = np.zeros((20, 1, 1, 1), np.uint8), np.arange(20)
    sharded = ShardedLoader(DataLoader(x, y, 4, seed=5), 0, 2)
    it = iter(sharded)
    next(it), next(it)
    state = sharded.state_dict()
    assert state["position"] == 2 and state["batch_size"] == 4 and sharded.position == 2
    rest = [yb.tolist() for _, yb in it]
    other = ShardedLoader(DataLoader(x, y, 4, seed=99), 0, 2)
    other.load_state_dict(state)
    assert [yb.tolist() for _, yb in other] == rest
    assert len(sharded) == 5


def test_last_batch_rule():
    assert [shard_bounds(5, r, 2) for r in range(2)] == [(0, 3), (3, 5)]
    assert drop_last_for(33, 32, 2) and not drop_last_for(34, 32, 2)
    assert drop_last_for(35, 32, 2, min_per_rank=2) and not drop_last_for(36, 32, 2, min_per_rank=2)
    assert drop_last_for(33, 32, 1, min_per_rank=2)  # one process: the old rule (a batch of 1)
    assert not drop_last_for(64, 32, 4)
    x, y = np.zeros((9, 1, 1, 1), np.uint8), np.arange(9)
    with pytest.raises(DataError, match="cannot be shared by 2 processes"):
        list(ShardedLoader(DataLoader(x, y, 4), 0, 2))  # a last batch of 1 for 2 ranks


def test_bad_ranks():
    with pytest.raises(DataError, match="rank must be in 0..1"):
        DistributedSampler(2, 2)
    with pytest.raises(DataError, match="world size"):
        DistributedSampler(0, 0)
