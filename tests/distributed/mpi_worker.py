"""Run by the tests under ``mpiexec -n N python mpi_worker.py CASE OUT``: each case checks its
own ranks and writes what the test compares (rank 0, or every rank with ``{rank}`` in OUT)."""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import distributed as dist
from tinygrad_cnn import nn, optim
from tinygrad_cnn.nn.parallel import DistributedDataParallel


def _same_everywhere(a: np.ndarray) -> bool:
    """Whether every rank holds exactly these bytes."""
    bits = np.frombuffer(np.ascontiguousarray(a).tobytes(), np.uint8).astype(np.int64)
    lo, hi = bits.copy(), bits.copy()
    dist.all_reduce(lo, "min")
    dist.all_reduce(hi, "max")
    return bool(np.array_equal(lo, hi))


def collectives(out: str) -> None:
    r, n = dist.get_rank(), dist.get_world_size()
    report: dict[str, object] = {"size": n}
    for dtype in (np.float32, np.float64, np.int64):
        for size in (0, 1, 7, 1001):
            a = np.full(size, r + 1, dtype)
            dist.all_reduce(a)
            assert a.dtype == dtype and a.shape == (size,)
            assert (a == n * (n + 1) // 2).all(), (dtype, size, a[:3])
            b = np.arange(size, dtype=dtype) + r
            dist.broadcast(b, src=n - 1)
            assert (b == np.arange(size, dtype=dtype) + n - 1).all()
    t = tg.Tensor(np.full((3, 5), float(r), np.float32))
    dist.all_reduce(t, op="max")
    assert (t.numpy() == n - 1).all()
    t64 = tg.Tensor(np.array([r], np.int64))
    dist.all_reduce(t64)
    report["sum_of_ranks"] = int(t64.item())
    # a float sum with rounding: every rank gets the same bits
    x = np.random.default_rng(r).standard_normal(100_003).astype(np.float32)
    dist.all_reduce(x)
    report["identical_on_all_ranks"] = _same_everywhere(x)
    report["shared_sum"] = _shared_sum()
    try:
        dist.all_reduce(np.zeros(3)[::2])
    except ValueError as err:
        report["non_contiguous"] = str(err)
    dist.barrier()
    if r == 0:
        with open(out, "w") as f:
            json.dump(report, f)


def _shared_sum() -> bool:
    """SharedSum (the on-machine reduction of DistributedDataParallel): odd sizes and
    offsets, several dtypes, more than one chunk; exact sums, the same bits everywhere, and
    the rank-order sum of float32 values with rounding."""
    from mpi4py import MPI

    from tinygrad_cnn.distributed.shared_memory import CHUNK, SharedSum

    r, n = dist.get_rank(), dist.get_world_size()
    s = SharedSum(MPI.COMM_WORLD, 8 * (3 * CHUNK + 64))
    for dtype, offset, count in ((np.float32, 0, 2 * CHUNK + 5), (np.float64, 8, 1001),
                                 (np.int64, 64, 0), (np.float32, 4, 1)):
        a = s.view(offset, count, dtype)
        a[:] = np.arange(count, dtype=dtype) + r
        s.sum(offset, count, dtype)
        assert (a == n * np.arange(count, dtype=dtype) + n * (n - 1) // 2).all(), dtype
    x = np.random.default_rng(7)
    values = [x.standard_normal(CHUNK + 3).astype(np.float32) for _ in range(n)]
    a = s.view(0, CHUNK + 3, np.float32)
    a[:] = values[r]
    s.sum(0, CHUNK + 3, np.float32)
    expected = values[0].copy()
    for v in values[1:]:
        expected += v
    ok = a.tobytes() == expected.tobytes() and _same_everywhere(a)
    s.close()
    return ok


def _model() -> nn.Module:
    tg.manual_seed(1234 + dist.get_rank())  # different on purpose: wrapping broadcasts rank 0's
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 10))


def ddp_step(out: str, batch: int = 12, steps: int = 1, bucket_mb: float = 0.002,
             shared: int = -1) -> None:
    """Steps of SGD on a global batch shared by the ranks; rank 0 saves the weights.
    ``shared``: -1 lets DistributedDataParallel choose its reduction, 0 forces MPI's
    allreduce, 1 shared memory."""
    from tinygrad_cnn.data import DataLoader
    from tinygrad_cnn.training import Trainer

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * steps, 3, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, batch * steps)
    inner = _model()
    model = DistributedDataParallel(inner, bucket_cap_mb=bucket_mb,
                                    shared_memory=None if shared < 0 else bool(shared)) \
        if dist.get_world_size() > 1 else inner
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    Trainer(model, opt, DataLoader(x, y, batch_size=batch, shuffle=False), epochs=1,
            handle_sigint=False).fit()
    weights = {k: v for k, v in inner.state_dict().items()}
    flat = np.concatenate([v.reshape(-1) for v in weights.values()])
    same = _same_everywhere(flat)
    if dist.get_rank() == 0:
        np.savez(out, same=same, buckets=len(getattr(model, "buckets", [])),
                 shared=getattr(model, "shared", None) is not None, **weights)


def sync_bn(out: str, batch: int = 8) -> None:
    """One process: BatchNorm2d on the whole batch; N ranks: the same model converted to
    SyncBatchNorm, wrapped in DistributedDataParallel, each rank on its slice. Rank 0 saves
    the whole batch's output (gathered), the averaged gradients and the running statistics
    after two training steps' forward/backward (no optimizer step), then an eval output."""
    import tinygrad_cnn.nn.functional as F

    from mpi4py import MPI

    r, n = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((batch, 3, 6, 6)) * 2 + 1).astype(np.float32)
    y = rng.integers(0, 5, batch)
    tg.manual_seed(5)
    inner = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    model = inner
    if n > 1:
        inner = nn.SyncBatchNorm.convert_sync_batchnorm(inner)
        assert type(inner[1]).__name__ == "SyncBatchNorm"
        model = DistributedDataParallel(inner)
    lo, hi = r * batch // n, (r + 1) * batch // n
    outs = []
    for _ in range(2):
        for p in inner.parameters():
            p.grad = None
        logits = model(tg.Tensor(x[lo:hi]))
        F.cross_entropy(logits, tg.Tensor(y[lo:hi])).backward()
        outs.append(logits.numpy())
    inner.eval()
    evals = inner(tg.Tensor(x[lo:hi])).numpy()
    parts = MPI.COMM_WORLD.gather((outs, evals), root=0)
    saved = {f"grad.{k}": p.grad.numpy() for k, p in inner.named_parameters()}
    saved.update({f"state.{k}": v for k, v in inner.state_dict().items() if "running" in k
                  or "num_batches" in k})
    flat = np.concatenate([v.reshape(-1).astype(np.float64) for v in saved.values()])
    same = _same_everywhere(flat)
    if r == 0:
        for i in range(2):
            saved[f"out{i}"] = np.concatenate([p[0][i] for p in parts])
        saved["eval"] = np.concatenate([p[1] for p in parts])
        np.savez(out, same=same, **saved)


def fail_on_one_rank(out: str) -> None:
    """Rank 1 fails in the middle of training (a rank-local error): all must end."""
    from tinygrad_cnn.data import DataLoader
    from tinygrad_cnn.training import Callback, Trainer, TrainingError

    print(f"pid {os.getpid()} rank {dist.get_rank()}", flush=True)

    class Boom(Callback):
        def on_batch_end(self, trainer, epoch, batch, num_batches, loss, accuracy, ips):
            if batch == 2 and dist.get_rank() == 1:
                raise TrainingError("bad data in batch 2 (test)")

    x = np.random.default_rng(0).standard_normal((64, 3, 8, 8)).astype(np.float32)
    model = DistributedDataParallel(_model())
    with dist.abort_on_error(lambda exc: (1, str(exc))):
        Trainer(model, optim.SGD(model.parameters(), lr=0.01),
                DataLoader(x, np.arange(64) % 10, batch_size=8), epochs=50,
                callbacks=[Boom()], handle_sigint=False).fit()


def nan_on_one_rank(out: str) -> None:
    """A NaN image in rank 1's shard: every rank sees the NaN loss and stops cleanly."""
    from tinygrad_cnn.data import DataLoader
    from tinygrad_cnn.training import NonFiniteLossError, Trainer

    x = np.random.default_rng(0).standard_normal((16, 3, 8, 8)).astype(np.float32)
    x[15] = np.nan  # second half of the first global batch: rank 1 of 2
    model = DistributedDataParallel(_model())
    try:
        with dist.abort_on_error(lambda exc: (1, str(exc))):
            Trainer(model, optim.SGD(model.parameters(), lr=0.01),
                    DataLoader(x, np.arange(16) % 10, batch_size=16, shuffle=False), epochs=1,
                    handle_sigint=False).fit()
    except NonFiniteLossError as err:  # rank 0 only: the others exit quietly with code 1
        print(f"Error: {err}", file=sys.stderr, flush=True)
        sys.exit(1)


def uncaught_on_one_rank(out: str) -> None:
    """Plain API, no guard: rank 1 raises while rank 0 waits in a reduction."""
    if dist.get_rank() == 1:
        raise RuntimeError("boom on rank 1 (test)")
    dist.all_reduce(np.zeros(4))


def hang_forever(out: str) -> None:
    """Print the pid, then keep reducing until killed."""
    print(f"pid {os.getpid()} rank {dist.get_rank()}", flush=True)
    a = np.zeros(1000, np.float32)
    while True:
        dist.all_reduce(a)
        time.sleep(0.01)


def cuda_step(out: str) -> None:
    """Collectives and one DDP step on CUDA tensors (host buffers), under the simulator."""
    from tinygrad_cnn.distributed import select_cuda_device

    index = select_cuda_device(dist.get_local_rank())
    t = tg.Tensor(np.full(5, dist.get_rank() + 1.0, np.float32)).to("cuda")
    dist.all_reduce(t)
    n = dist.get_world_size()
    assert t.device == "cuda" and (t.numpy() == n * (n + 1) / 2).all()
    tg.manual_seed(dist.get_rank())
    inner = nn.Linear(6, 3).to("cuda")
    model = DistributedDataParallel(inner)
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    lo, hi = dist.get_rank() * 2, dist.get_rank() * 2 + 2
    model(tg.Tensor(x[lo:hi], device="cuda")).sum().backward()
    grads = np.concatenate([p.grad.numpy().reshape(-1) for p in inner.parameters()])
    assert all(p.grad.device == "cuda" for p in inner.parameters())
    same = _same_everywhere(grads)
    sync_bn = _sync_bn_cuda_like_cpu()
    if dist.get_rank() == 0:
        np.savez(out, grads=grads, same=same, gpu=index, sync_bn=sync_bn,
                 weight=inner.weight.numpy(), bias=inner.bias.numpy())


def _sync_bn_cuda_like_cpu() -> bool:
    """SyncBatchNorm on CUDA tensors gives the CPU layer's output, input gradient and running
    statistics (both synchronised over the ranks)."""
    x = np.random.default_rng(dist.get_rank()).standard_normal((2, 3, 4, 4)).astype(np.float32)
    g = np.random.default_rng(9).standard_normal((2, 3, 4, 4)).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        layer = nn.SyncBatchNorm(3).to(device)
        t = tg.Tensor(x, device=device, requires_grad=True)
        y = layer(t)
        (y * tg.Tensor(g, device=device)).sum().backward()
        results.append([y.numpy(), t.grad.numpy(), layer.running_var.numpy(),
                        layer.weight.grad.numpy()])
    return all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(*results))


if __name__ == "__main__":
    dist.init_process_group("mpi")
    case, target = sys.argv[1], sys.argv[2]
    extra = [float(a) if "." in a else int(a) for a in sys.argv[3:]]
    globals()[case](target, *extra)
