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
        be, (x, w) = self.backend, self.saved
        dx = dw = db = None
        if self.needs_input_grad[0]:
            dx = be.conv2d_backward_input(grad, w, tuple(x.shape), *self.geometry)
        if self.needs_input_grad[1]:
            dw = be.conv2d_backward_weight(grad, x, tuple(w.shape), *self.geometry)
        if self.has_bias and self.needs_input_grad[2]:
            db = be.sum(grad, (0, 2, 3), False)
        return dx, dw, db
