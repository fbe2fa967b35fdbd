"""Softmax, log-softmax, fused softmax-cross-entropy and the negative log-likelihood."""
from __future__ import annotations


from ..autograd import Function


class Softmax(Function):
    def forward(self, x, axis: int):
        self.axis = axis
        out = self.backend.softmax(x, axis)
        self.save(out)
        return out

    def backward(self, grad):
        return self.backend.softmax_backward(grad, self.saved[0], self.axis)


class LogSoftmax(Function):
    def forward(self, x, axis: int):
        self.axis = axis
        out = self.backend.log_softmax(x, axis)
        self.save(out)
        return out

    def backward(self, grad):
        return self.backend.log_softmax_backward(grad, self.saved[0], self.axis)


class CrossEntropy(Function):
    """Per-sample ``-log softmax(logits)[target]`` (with label smoothing) for (N, C) logits."""

    def forward(self, logits, target, label_smoothing: float):
        self.label_smoothing = float(label_smoothing)
        loss, probs = self.backend.cross_entropy_forward(logits, target, self.label_smoothing)
        self.save(probs, target)
        return loss

    def backward(self, grad):
        probs, target = self.saved
        return (self.backend.cross_entropy_backward(grad, probs, target, self.label_smoothing),
                None)


class PickClass(Function):
    """``x[i, target[i]]`` for (N, C) ``x``: the gather behind ``nll_loss``."""

    def forward(self, x, target):
        self.in_shape = tuple(x.shape)
        self.save(target)
        return self.backend.take_along_class(x, target)

    def backward(self, grad):
        be, target = self.backend, self.saved[0]
        n = self.in_shape[0]
        return be.gather_backward(be.reshape(grad, (n, 1)), 1, be.reshape(target, (n, 1)),
                                  self.in_shape), None
