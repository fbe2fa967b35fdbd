"""Transposed convolution: the adjoint of ``conv2d`` with respect to its input, so it is built
from the same three conv kernels of every backend (forward = conv's input gradient)."""
from __future__ import annotations

from ..autograd import Function

Pair = tuple[int, int]


class ConvTranspose2d(Function):
    """``conv_transpose2d(x, w, bias)``: x (N, C_in, h, w), w (C_in, C_out/groups, kH, kW)."""

    def forward(self, x, w, bias, out_shape: tuple[int, int, int, int], stride: Pair,
                padding: Pair, dilation: Pair, groups: int):
        be = self.backend
        self.geometry = (stride, padding, dilation, groups)
        self.save(x, w)
        self.has_bias = bias is not None
        out = be.conv2d_backward_input(x, w, out_shape, *self.geometry)
        if bias is not None:
            out = be.add(out, be.reshape(bias, (1, -1, 1, 1)))
        return out

    def backward(self, grad):
        be, (x, w) = self.backend, self.saved
        dx = dw = db = None
        if self.has_bias and self.needs_input_grad[2]:  # while the gradient is in cache
            db = be.sum(grad, (0, 2, 3), False)
        if self.needs_input_grad[0]:
            dx = be.conv2d_forward(grad, w, None, *self.geometry)
        if self.needs_input_grad[1]:
            dw = be.conv2d_backward_weight(x, grad, tuple(w.shape), *self.geometry)
        return dx, dw, db

