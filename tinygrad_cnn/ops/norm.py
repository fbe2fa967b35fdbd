"""Batch normalisation in training mode (batch statistics) and eval mode (running ones).

:func:`batch_norm_train` returns the normalised output together with the batch statistics that
a running-statistics update needs (the mean and PyTorch's unbiased variance), computed by the
same kernel call, so callers never look into the op's backward context.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.array([[1.0], [3.0]], np.float32))
    >>> y, mean, var = batch_norm_train(x, Tensor([1.0]), Tensor([0.0]), eps=0.0)
    >>> y.numpy().ravel().tolist(), mean.numpy().tolist(), var.numpy().tolist()
    ([-1.0, 1.0], [2.0], [2.0])
    >>> running = Tensor([0.0])
    >>> blend_running(running, mean, momentum=0.25)
    >>> running.numpy().tolist()
    [0.5]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..autograd import Function
from ..backends import get_backend

if TYPE_CHECKING:
    from ..tensor import Tensor


def _channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    return (1, channels) + (1,) * (ndim - 2)


def _other_axes(ndim: int) -> tuple[int, ...]:
    return (0,) + tuple(range(2, ndim))


class BatchNormTrain(Function):
    """Normalise with the batch's statistics. ``stats``, when given, is a list that receives
    the batch mean and unbiased variance (backend arrays of shape (C,), not differentiated);
    :func:`batch_norm_train` hands them out as tensors."""

    def forward(self, x, weight, bias, eps: float, stats: list[Any] | None = None):
        be = self.backend
        y, mean, invstd, var_unbiased = be.batch_norm_train_forward(x, weight, bias, eps)
        if stats is not None:  # a copy of the mean: backward keeps its own
            stats.extend((be.copy(mean), var_unbiased))
        self.save(x, weight, mean, invstd)
        return y

    def backward(self, grad):
        x, weight, mean, invstd = self.saved
        return self.backend.batch_norm_backward(grad, x, weight, mean, invstd)


def batch_norm_train(x: "Tensor", weight: "Tensor", bias: "Tensor", eps: float
                     ) -> tuple["Tensor", "Tensor", "Tensor"]:
    """``(y, batch_mean, batch_var)``: ``x`` normalised over all axes but 1 with its own
    statistics (differentiable in ``x``, ``weight``, ``bias``), and those statistics of shape
    (C,) as constants, the variance unbiased (``* n/(n-1)``) as PyTorch blends it into
    ``running_var``. One kernel call gives all three (see the module example).
    """
    from ..tensor import Tensor

    stats: list[Any] = []
    y = BatchNormTrain.apply(x, weight, bias, eps=float(eps), stats=stats)
    mean, var = (Tensor._wrap(a, x.device) for a in stats)
    return y, mean, var


def blend_running(running: "Tensor", batch: "Tensor", momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch`` (PyTorch's running-statistics
    rule), outside any graph; ``running`` gets new storage. Two scalar products and a sum on
    the device, without the per-op cost of tensor arithmetic (this runs twice per BatchNorm
    layer and training step).
    """
    be, m = get_backend(running.device), float(momentum)
    running.data = be.add(be.scalar_op(running._array, "*", 1.0 - m),
                          be.scalar_op(batch._array, "*", m))


class BatchNormEval(Function):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` with fixed statistics."""

    def forward(self, x, mean, var, weight, bias, eps: float):
        be = self.backend
        self.invstd = be.scalar_op(be.sqrt(be.scalar_op(var, "+", eps)), "/", 1.0, reverse=True)
        self.save(x, mean, weight)
        return be.batch_norm_eval_forward(x, mean, var, weight, bias, eps)

    def backward(self, grad):
        be, (x, mean, weight) = self.backend, self.saved
        shape, axes = _channel_shape(x.ndim, x.shape[1]), _other_axes(x.ndim)
        invstd = be.reshape(self.invstd, shape)
        dx = be.mul(grad, be.mul(be.reshape(weight, shape), invstd)) if self.needs_input_grad[0] else None
        xhat = be.mul(be.sub(x, be.reshape(mean, shape)), invstd)
        dw = be.sum(be.mul(grad, xhat), axes, False) if self.needs_input_grad[3] else None
        db = be.sum(grad, axes, False) if self.needs_input_grad[4] else None
        return dx, None, None, dw, db
