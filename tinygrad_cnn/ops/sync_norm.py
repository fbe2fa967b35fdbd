"""Batch normalisation over a global batch split across processes (``nn.SyncBatchNorm``).

The per-channel sums of the forward statistics and the two per-channel sums of the backward
pass are summed over the processes by a caller-given host reduction (a process group's
in-place float64 allreduce), so this op knows no transport: the ``nn`` layer passes
``group.allreduce``. With a reduction that does nothing it is batch normalisation of the local
batch (see the example).

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> from tinygrad_cnn.ops.norm import batch_norm_train
    >>> x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 2, 2))
    >>> w, b = Tensor(np.ones(2, np.float32)), Tensor(np.zeros(2, np.float32))
    >>> y, mean, var = sync_batch_norm_train(x, w, b, 1e-5, reduce=lambda buf: None)
    >>> bool(np.allclose(y.numpy(), batch_norm_train(x, w, b, 1e-5)[0].numpy(), atol=1e-6))
    True
    >>> mean.numpy().tolist(), var.numpy().tolist()
    ([4.5, 6.5], [13.100000381469727, 13.100000381469727])
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..autograd import Function
from .norm import _channel_shape, _other_axes

if TYPE_CHECKING:
    from ..tensor import Tensor

#: sums a float64 host array over the processes, in place (every process gets the total)
Reduce = Callable[[np.ndarray], Any]

__all__ = ["sync_batch_norm_train", "SyncBatchNormTrain", "Reduce"]


def _sum_over(reduce: Reduce, be: Any, *arrays: Any) -> list[np.ndarray]:
    """Per-channel float64 sums over the processes of several backend arrays (one reduction)."""
    host = [np.asarray(be.to_numpy(a), np.float64).reshape(-1) for a in arrays]
    buf = np.concatenate(host)
    reduce(buf)
    return np.split(buf, np.cumsum([h.size for h in host])[:-1])


class SyncBatchNormTrain(Function):
    """Normalise ``x`` with the global batch's statistics (float64 sums over the processes);
    backward sums ``sum(dy)`` and ``sum(dy * (x - mean))`` over the processes for the input
    gradient, the weight and bias gradients stay per process. ``stats`` (a list) receives the
    global mean and unbiased variance as backend arrays."""

    def forward(self, x, weight, bias, eps: float, reduce: Reduce, stats: list):
        be = self.backend
        axes = _other_axes(x.ndim)
        x64 = be.astype(x, np.float64)
        local = np.array([x.size // x.shape[1]], np.float64)
        s1, s2, count = _sum_over(reduce, be, be.sum(x64, axes, False),
                                  be.sum(be.mul(x64, x64), axes, False), local)
        n = int(count[0])
        if n < 2:
            raise ValueError("SyncBatchNorm: training needs more than one value per channel "
                             f"over all processes, got {n}")
        mean64 = s1 / n
        var64 = np.maximum(s2 / n - mean64 * mean64, 0.0)
        dt = np.dtype(x.dtype)
        mean, var = be.from_numpy(mean64.astype(dt)), be.from_numpy(var64.astype(dt))
        stats.extend([mean, be.from_numpy((var64 * n / (n - 1)).astype(dt))])
        self.count, self.reduce = n, reduce
        invstd = be.scalar_op(be.sqrt(be.scalar_op(var, "+", eps)), "/", 1.0, reverse=True)
        self.save(x, weight, mean, invstd)
        return be.batch_norm_eval_forward(x, mean, var, weight, bias, eps)

    def backward(self, grad):
        be, (x, weight, mean, invstd) = self.backend, self.saved
        shape, axes = _channel_shape(x.ndim, x.shape[1]), _other_axes(x.ndim)
        xmu = be.sub(x, be.reshape(mean, shape))
        sum_dy = be.sum(grad, axes, False)
        sum_dy_xmu = be.sum(be.mul(grad, xmu), axes, False)
        dw = be.mul(sum_dy_xmu, invstd) if self.needs_input_grad[1] else None
        db = sum_dy if self.needs_input_grad[2] else None
        dx = None
        if self.needs_input_grad[0]:
            g64 = be.astype(grad, np.float64)
            total_dy, total_dy_xmu = _sum_over(
                self.reduce, be, be.sum(g64, axes, False),
                be.sum(be.mul(g64, be.astype(xmu, np.float64)), axes, False))
            dt = np.dtype(x.dtype)
            inv = be.to_numpy(invstd).astype(np.float64)
            mean_dy = be.from_numpy((total_dy / self.count).astype(dt).reshape(shape))
            proj = be.from_numpy((total_dy_xmu / self.count * inv * inv).astype(dt).reshape(shape))
            scale = be.reshape(be.mul(weight, invstd), shape)
            dx = be.mul(be.sub(be.sub(grad, mean_dy), be.mul(xmu, proj)), scale)
        return dx, dw, db


def sync_batch_norm_train(x: "Tensor", weight: "Tensor", bias: "Tensor", eps: float,
                          reduce: Reduce) -> tuple["Tensor", "Tensor", "Tensor"]:
    """``(y, mean, var)``: ``x`` normalised over all axes but 1 with the statistics of the
    global batch (``reduce`` sums a float64 host array over the processes in place), and those
    statistics of shape (C,) as constants, the variance unbiased for ``running_var``.
    """
    from ..tensor import Tensor

    stats: list[Any] = []
    y = SyncBatchNormTrain.apply(x, weight, bias, eps=float(eps), reduce=reduce, stats=stats)
    mean, var = (Tensor._wrap(a, x.device) for a in stats)
    return y, mean, var
