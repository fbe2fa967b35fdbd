"""``DistributedDataParallel``: the same model on every rank, each rank a shard of the batch,
gradients averaged across ranks after ``backward()``, so every rank takes the same step.

How: wrapping broadcasts rank 0's parameters and buffers. The trainable parameters are
grouped, in reverse registration order (the order backward produces their gradients), into
buckets of at most ``bucket_cap_mb`` megabytes. During ``backward()``, as soon as every
gradient of a bucket has arrived (buckets always in the same order), the gradients are divided
by the world size while being copied into the bucket's flat host buffer, and the bucket is
summed over the ranks; the sums are handed back as the parameters' ``.grad`` (views of the
buffer on CPU). When every rank runs on one machine the sum goes through MPI-3 shared memory
(:class:`tinygrad_cnn.distributed.shared_memory.SharedSum`: no message copies, each rank adds
its slice of every rank's buffer in rank order); otherwise each bucket starts a non-blocking
MPI allreduce and all are awaited after the last gradient. The bucket order and the order of
the additions are fixed, so two runs with the same world size and seed are bit-identical.

BatchNorm layers keep per-rank batch statistics (as PyTorch's DDP does by default); their
running statistics are broadcast from rank 0 once, when wrapping.

Example (a world of one process):
    >>> from tinygrad_cnn import distributed as dist, nn, optim, Tensor
    >>> dist.init_process_group()
    >>> model = DistributedDataParallel(nn.Linear(3, 2))
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> model(Tensor(np.ones((4, 3)))).sum().backward(); opt.step()
    >>> list(model.state_dict())
    ['weight', 'bias']
"""
from __future__ import annotations

import time
from typing import Any, Iterator, Mapping

import numpy as np

from ..backends import get_backend
from ..tensor import Tensor
from .module import Module, Parameter


class _Bucket:
    """Parameters whose gradients are reduced together through one flat host buffer."""

    def __init__(self, params: list[Parameter]) -> None:
        self.params = params
        self.sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        self.dtype = np.dtype(params[0].dtype)
        self.count = self.offsets[-1]
        self.buffer = np.empty(self.count, self.dtype)
        self.pending = len(params)

    @property
    def nbytes(self) -> int:
        return int(self.count * self.dtype.itemsize)

    def pack(self, world: int) -> None:
        """Copy the gradients into the buffer, divided by ``world`` (one pass)."""
        n = self.dtype.type(world)
        for p, lo, hi in zip(self.params, self.offsets, self.offsets[1:]):
            grad = p.grad.numpy().reshape(-1)
            np.divide(grad, n, out=self.buffer[lo:hi])

    def unpack(self) -> None:
        # The backend directly, by design: on the CPU each gradient becomes a zero-copy view of
        # the reduced buffer (Tensor(view) would copy every gradient once more per step).
        for p, lo, hi in zip(self.params, self.offsets, self.offsets[1:]):
            view = self.buffer[lo:hi].reshape(p.shape)
            data = view if p.device == "cpu" else get_backend(p.device).from_numpy(view)
            p.grad = Tensor._wrap(data, p.device)


def _buckets(params: list[Parameter], cap_bytes: int) -> list[_Bucket]:
    """Consecutive runs of ``params`` of one dtype and device, each at most ``cap_bytes``
    (a larger parameter gets a bucket of its own)."""
    out: list[list[Parameter]] = []
    size = 0
    for p in params:
        nbytes = p.numel() * p.dtype.itemsize
        last = out[-1] if out else None
        if last is None or size + nbytes > cap_bytes or p.dtype != last[0].dtype or \
                p.device != last[0].device:
            out.append([p])
            size = nbytes
        else:
            last.append(p)
            size += nbytes
    return [_Bucket(b) for b in out]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the process group (see the module
    docstring). ``model.module`` is the wrapped model; ``state_dict()``, ``named_parameters()``
    and ``load_state_dict()`` use its own (unwrapped) names.

    Args:
        module: the model, identical in structure on every rank.
        bucket_cap_mb: the largest gradient bucket in megabytes (one allreduce each).
        process_group: a :class:`tinygrad_cnn.distributed.ProcessGroup` (default: the one
            :func:`~tinygrad_cnn.distributed.init_process_group` created).
        shared_memory: sum the buckets through MPI-3 shared memory (``None``: when every
            rank runs on this machine and ``/dev/shm`` has room for the buffers; ``False``:
            always MPI's non-blocking allreduce).
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 25, process_group: Any = None,
                 shared_memory: bool | None = None) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        from .. import distributed as dist

        self.module = module
        object.__setattr__(self, "process_group", process_group or dist.group())
        object.__setattr__(self, "bucket_cap_mb", float(bucket_cap_mb))
        g = self.process_group
        for t in list(module.parameters()) + list(module.buffers()):
            _broadcast(g, t)
        trainable = [p for p in module.parameters() if p.requires_grad]
        object.__setattr__(self, "buckets",
                           _buckets(list(reversed(trainable)), int(bucket_cap_mb * 2**20)))
        object.__setattr__(self, "_where", {id(p): i for i, b in enumerate(self.buckets)
                                            for p in b.params})
        object.__setattr__(self, "_requests", [])
        object.__setattr__(self, "_launched", 0)
        object.__setattr__(self, "_handles", [])
        #: seconds spent on gradient reduction (copies, MPI calls, waiting), summed over steps
        object.__setattr__(self, "comm_seconds", 0.0)
        if shared_memory and g.local_size != g.size:
            raise ValueError("shared_memory=True needs every rank on one machine "
                             f"({g.local_size} of {g.size} ranks are on this one)")
        shared = g.size > 1 and g.local_size == g.size and (
            shared_memory or shared_memory is None and _room(g, self.buckets))
        object.__setattr__(self, "shared", _share(g, self.buckets) if shared else None)
        if g.size > 1:
            self._handles.extend(p.register_post_accumulate_grad_hook(self._grad_ready)
                                 for p in trainable)

    # ---- names: those of the wrapped model ----
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self._check_finished()
        return self.module(*args, **kwargs)

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        return self.module.named_parameters(prefix, recurse)

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self.module.named_buffers(prefix, recurse)

    def state_dict(self, prefix: str = "") -> Any:
        return self.module.state_dict(prefix)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        return self.module.load_state_dict(state_dict, strict)

    def get_config(self) -> dict[str, Any]:
        raise TypeError("DistributedDataParallel is not saved as a layer: save its .module")

    @property
    def bytes_per_step(self) -> int:
        """Gradient bytes each rank contributes to the reductions of one step."""
        return sum(b.nbytes for b in self.buckets)

    # ---- the reduction ----
    def _grad_ready(self, p: Tensor) -> None:
        started = time.perf_counter()
        bucket = self.buckets[self._where[id(p)]]
        bucket.pending -= 1
        g = self.process_group
        # reduce (or launch), strictly in bucket order, every bucket whose gradients are there
        while self._launched < len(self.buckets) and self.buckets[self._launched].pending == 0:
            b = self.buckets[self._launched]
            b.pack(g.size)
            if self.shared is not None:
                self.shared.sum(b.shared_offset, b.count, b.dtype)
            else:
                self._requests.append(g.iallreduce(b.buffer))
            self._launched += 1
        if self._requests and self._launched < len(self.buckets):
            from mpi4py import MPI
            MPI.Request.Testall(self._requests)  # lets MPI progress while backward runs
        object.__setattr__(self, "comm_seconds",
                           self.comm_seconds + time.perf_counter() - started)
        if self._launched == len(self.buckets):
            self._finish()

    def _finish(self) -> None:
        started = time.perf_counter()
        if self._requests:
            from mpi4py import MPI
            MPI.Request.Waitall(self._requests)
        for b in self.buckets:
            b.unpack()
            b.pending = len(b.params)
        self._requests.clear()
        object.__setattr__(self, "_launched", 0)
        object.__setattr__(self, "comm_seconds",
                           self.comm_seconds + time.perf_counter() - started)

    def _check_finished(self) -> None:
        """A backward that left some parameters without a gradient never finished its
        reduction: the ranks would step apart, so stop with the names of those parameters."""
        waiting = [b for b in self.buckets if b.pending != len(b.params)]
        if not waiting and not self._requests:
            return
        names = {id(p): n for n, p in self.module.named_parameters()}
        missing = [names[id(p)] for b in self.buckets for p in b.params
                   if p.grad is None][:5]
        raise RuntimeError("DistributedDataParallel: the last backward() gave no gradient to "
                           f"{', '.join(missing) or 'some parameters'}; every trainable "
                           "parameter must take part in the loss (freeze the others with "
                           "requires_grad_(False) before wrapping)")

    def remove_hooks(self) -> None:
        """Stop reducing gradients (the model can then be wrapped again)."""
        for h in self._handles:
            h.remove()
        self._handles.clear()


def _room(g: Any, buckets: list[_Bucket]) -> bool:
    """Whether every rank finds room for the machine's shared gradient buffers (agreed)."""
    from ..distributed.shared_memory import room_for

    return not g.any(not room_for(g.local_size * sum(b.nbytes + 64 for b in buckets)))


def _share(g: Any, buckets: list[_Bucket]) -> Any:
    """One shared-memory block for every bucket (64-byte aligned); the buckets' buffers
    become this rank's views of it."""
    from ..distributed.shared_memory import SharedSum

    offset = 0
    for b in buckets:
        b.shared_offset = offset
        offset += -(-b.nbytes // 64) * 64
    shared = SharedSum(g.comm, offset)
    for b in buckets:
        b.buffer = shared.view(b.shared_offset, b.count, b.dtype)
    return shared


def _broadcast(g: Any, t: Tensor) -> None:
    host = t.numpy()
    in_place = t.device == "cpu" and host.flags.c_contiguous and host.flags.writeable
    if not in_place:
        host = np.ascontiguousarray(host).copy()
    g.broadcast(host, 0)
    if not in_place:
        t.data = Tensor(host, dtype=t.dtype, device=t.device)
