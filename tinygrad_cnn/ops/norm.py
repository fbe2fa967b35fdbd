"""Batch normalisation in training mode (batch statistics) and eval mode (running ones)."""
from __future__ import annotations

from ..autograd import Function


def _channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    return (1, channels) + (1,) * (ndim - 2)


def _other_axes(ndim: int) -> tuple[int, ...]:
    return (0,) + tuple(range(2, ndim))


class BatchNormTrain(Function):
    """Normalise with the batch's statistics; ``self.mean`` and ``self.var_unbiased`` are
    left for the caller's running-statistics update."""

    def forward(self, x, weight, bias, eps: float):
        y, mean, invstd, self.var_unbiased = self.backend.batch_norm_train_forward(
            x, weight, bias, eps)
        self.mean = mean
        self.save(x, weight, mean, invstd)
        return y

    def backward(self, grad):
        x, weight, mean, invstd = self.saved
        return self.backend.batch_norm_backward(grad, x, weight, mean, invstd)


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
