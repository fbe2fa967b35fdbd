"""Synchronised batch normalisation: the global batch's statistics over the ranks of a
process group, and the training op whose backward sums its per-channel terms over the ranks.

The statistics are host float64 sums of each rank's per-channel values and squared values,
reduced with one allreduce; the op normalises with them and, in backward, reduces
``sum(dy)`` and ``sum(dy * (x - mean))`` the same way (see
:class:`tinygrad_cnn.nn.SyncBatchNorm`). A ``group`` is anything with ``allreduce(buf)``
summing a float64 numpy array in place over the ranks.

Example (a world of one: the group's sum is the identity):
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> class One:
    ...     def allreduce(self, buf): pass
    >>> x = Tensor(np.array([[1.0], [3.0]], np.float32))
    >>> mean, var, n = global_batch_statistics(x, One())
    >>> mean.tolist(), var.tolist(), n
    ([2.0], [1.0], 2)
    >>> y = sync_batch_norm_train(x, Tensor([1.0]), Tensor([0.0]), mean, var, eps=0.0,
    ...                           count=n, group=One())
    >>> y.numpy().ravel().tolist()
    [-1.0, 1.0]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import Function
from ..backends import get_backend
from .norm import _channel_shape, _other_axes

if TYPE_CHECKING:
    from ..tensor import Tensor


def _sum_over_ranks(group: Any, be: Any, *arrays: Any) -> list[np.ndarray]:
    """Per-channel float64 sums over the ranks of several backend arrays (one allreduce)."""
    host = [np.asarray(be.to_numpy(a), np.float64).reshape(-1) for a in arrays]
    buf = np.concatenate(host)
    group.allreduce(buf)
    return np.split(buf, np.cumsum([h.size for h in host])[:-1])


def global_batch_statistics(x: "Tensor", group: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """The global batch's per-channel mean and biased variance (float64 host arrays) and
    value count per channel, from this rank's ``x`` (a collective: every rank calls it).
    See the module example."""
    be, a = get_backend(x.device), x._array
    axes = _other_axes(a.ndim)
    x64 = be.astype(a, np.float64)
    local = np.array([a.size // a.shape[1]], np.float64)
    s1, s2, count = _sum_over_ranks(group, be, be.sum(x64, axes, False),
                                    be.sum(be.mul(x64, x64), axes, False), local)
    n = int(count[0])
    mean = s1 / max(n, 1)
    var = np.maximum(s2 / max(n, 1) - mean * mean, 0.0)
    return mean, var, n


class SyncBatchNormTrain(Function):
    """Normalise with given global statistics; backward sums its two per-channel terms over
    the ranks (``group``) and divides by the global ``count``."""

    def forward(self, x, weight, bias, mean, var, eps: float, count: int, group: Any):
        be = self.backend
        self.count, self.group = count, group
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
            total_dy, total_dy_xmu = _sum_over_ranks(
                self.group, be, be.sum(g64, axes, False),
                be.sum(be.mul(g64, be.astype(xmu, np.float64)), axes, False))
            dt = np.dtype(x.dtype)
            inv = be.to_numpy(invstd).astype(np.float64)
            mean_dy = be.from_numpy((total_dy / self.count).astype(dt).reshape(shape))
            proj = be.from_numpy((total_dy_xmu / self.count * inv * inv).astype(dt).reshape(shape))
            scale = be.reshape(be.mul(weight, invstd), shape)
            dx = be.mul(be.sub(be.sub(grad, mean_dy), be.mul(xmu, proj)), scale)
        return dx, dw, db, None, None


def sync_batch_norm_train(x: "Tensor", weight: "Tensor", bias: "Tensor", mean: np.ndarray,
                          var: np.ndarray, eps: float, count: int, group: Any) -> "Tensor":
    """``x`` normalised with the global statistics ``mean``/``var`` (host arrays from
    :func:`global_batch_statistics`), differentiable in ``x``, ``weight`` and ``bias``."""
    be, dt = get_backend(x.device), np.dtype(x.dtype)
    return SyncBatchNormTrain.apply(x, weight, bias, be.from_numpy(mean.astype(dt)),
                                    be.from_numpy(var.astype(dt)), eps=float(eps),
                                    count=count, group=group)
