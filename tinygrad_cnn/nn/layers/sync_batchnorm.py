"""``SyncBatchNorm``: batch normalisation whose training statistics are those of the global
batch, summed over the ranks of the process group (PyTorch's ``nn.SyncBatchNorm``).

In training, with a process group of several ranks, each rank sums its shard's values and
squared values per channel (in float64) and one allreduce gives the global count, mean and
biased variance; the output is normalised with them, and the running statistics are updated
with the global mean and unbiased variance (the same on every rank). Backward sums the two
per-channel gradient terms (``sum(dy)``, ``sum(dy * (x - mean))``) over the ranks to form the
input gradient; the weight and bias gradients stay per rank (DistributedDataParallel averages
them). In evaluation mode, or in a single process (no process group, or a world of one), it is
:class:`~tinygrad_cnn.nn.BatchNorm2d`. Under ``mpiexec`` with several processes, training
before ``init_process_group()`` is an error (the ranks would silently normalise apart).

Example (one process: the same output as BatchNorm2d):
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, nn
    >>> x = Tensor(np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2))
    >>> bn, sync = nn.BatchNorm2d(2), nn.SyncBatchNorm(2)
    >>> bool(np.array_equal(bn(x).numpy(), sync(x).numpy()))
    True
    >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 3),
    ...                                                                nn.BatchNorm2d(4)))
    >>> type(model[1]).__name__
    'SyncBatchNorm'
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ...autograd import no_grad
from ...ops.norm import blend_running
from ...ops.sync_norm import global_batch_statistics, sync_batch_norm_train
from ...tensor import Tensor
from ..module import Module
from .norm import _BatchNorm

#: environment variables by which MPI launchers announce the number of processes
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over the global batch of a data-parallel job (see the module
    docstring); (N, C) or (N, C, H, W) input. PyTorch's arguments, plus ``process_group``
    (default: the group of :func:`tinygrad_cnn.distributed.init_process_group`).

    Example:
        >>> SyncBatchNorm(8).extra_repr()
        '8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True'
    """

    _ndims = (2, 4)
    _layout = "2-D (N, C) or 4-D (N, C, H, W)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        object.__setattr__(self, "process_group", process_group)

    def _group(self) -> Any:
        """The process group to synchronise over, or None (a world of one)."""
        if self.process_group is not None:
            return self.process_group if self.process_group.size > 1 else None
        launched = max((int(os.environ.get(k, "1") or 1) for k in _LAUNCHER_SIZE), default=1)
        try:
            from ... import distributed as dist
        except ImportError:
            dist = None
        if dist is None or not dist.is_initialized():
            if launched > 1:
                raise RuntimeError(
                    f"SyncBatchNorm: this process is one of {launched} started by mpiexec but "
                    "the process group is not initialised: call "
                    "tinygrad_cnn.distributed.init_process_group() before training")
            return None
        g = dist.group()
        return g if g.size > 1 else None

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        group = self._group()
        if group is None:
            return super().forward(x)
        if isinstance(x, Tensor) and x.ndim not in self._ndims:
            raise ValueError(f"SyncBatchNorm: expected a {self._layout} input, got shape {x.shape}")
        mean, var, count = global_batch_statistics(x, group)
        if count < 2:
            raise ValueError("SyncBatchNorm: training needs more than one value per channel "
                             f"over all ranks, got {count}")
        c, dt, dev = self.num_features, x.dtype, x.device
        w = self.weight if self.weight is not None else Tensor(np.ones(c), dtype=dt, device=dev)
        b = self.bias if self.bias is not None else Tensor(np.zeros(c), dtype=dt, device=dev)
        out = sync_batch_norm_train(x, w, b, mean, var, eps=self.eps, count=count, group=group)
        if self.track_running_stats:
            self._update_running(mean, var * count / (count - 1))
        return out

    def _update_running(self, mean: np.ndarray, var_unbiased: np.ndarray) -> None:
        counter = self.num_batches_tracked
        with no_grad():
            counter.data = counter + 1
        m = self.momentum if self.momentum is not None else 1.0 / int(counter.item())
        for buf, value in ((self.running_mean, mean), (self.running_var, var_unbiased)):
            blend_running(buf, Tensor(value, dtype=buf.dtype, device=buf.device), m)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every BatchNorm2d (and BatchNorm1d) replaced, recursively, by a
        SyncBatchNorm holding the same weight, bias, running statistics and mode; returns
        the new module when ``module`` itself is a batch norm, else ``module`` changed in place.

        Example:
            >>> from tinygrad_cnn import nn
            >>> bn = nn.BatchNorm2d(3); bn.eval()                     # doctest: +ELLIPSIS
            BatchNorm2d(...)
            >>> s = SyncBatchNorm.convert_sync_batchnorm(bn)
            >>> type(s).__name__, s.training, s.running_var is bn.running_var
            ('SyncBatchNorm', False, True)
        """
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if getattr(module, name, None) is not None:
                    setattr(out, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(out, name, getattr(module, name))
            out.train(module.training)
            return out
        for name, child in list(module.named_children()):
            new = cls.convert_sync_batchnorm(child, process_group)
            if new is not child:
                module._modules[name] = new  # in place: the children keep their order
        return module

