"""2-D convolution (cross-correlation, as in PyTorch)."""
from __future__ import annotations

from ..autograd import Function

Pair = tuple[int, int]


class Conv2d(Function):
    """``conv2d(x, w, bias)`` with NCHW input and OIHW weight."""

    def forward(self, x, w, bias, stride: Pair, padding: Pair, dilation: Pair, groups: int):
        self.geometry = (stride, padding, dilation, groups)
        self.save(x, w)
        self.has_bias = bias is not None
        return self.backend.conv2d_forward(x, w, bias, stride, padding, dilation, groups)

    def backward(self, grad):
        x, w = self.saved
        return conv2d_grads(self, grad, x, w)


def conv2d_grads(fn: Function, grad, x, w):
    """The input, weight and bias gradients that ``fn`` (a convolution's :class:`Function`,
    with ``geometry`` and ``has_bias`` set by its forward) needs, from the output gradient."""
    be, needs = fn.backend, fn.needs_input_grad
    dx = dw = db = None
    if needs[0]:
        dx = be.conv2d_backward_input(grad, w, tuple(x.shape), *fn.geometry)
    if needs[1]:
        dw = be.conv2d_backward_weight(grad, x, tuple(w.shape), *fn.geometry)
    if fn.has_bias and needs[2]:
        db = be.sum(grad, (0, 2, 3), False)
    return dx, dw, db
