"""Matrix products: ``a @ b`` with numpy's batching rules, and the fused ``linear`` layer."""
from __future__ import annotations

from ..autograd import Function
from .elementwise import unbroadcast


class MatMul(Function):
    """``a @ b`` for operands of at least two dimensions (the Tensor method lifts 1-D ones)."""

    def forward(self, a, b):
        self.save(a, b)
        return self.backend.matmul(a, b)

    def backward(self, grad):
        be, (a, b) = self.backend, self.saved
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(be, be.matmul(grad, b, transpose_b=True), tuple(a.shape))
        if self.needs_input_grad[1]:
            db = unbroadcast(be, be.matmul(a, grad, transpose_a=True), tuple(b.shape))
        return da, db


class Linear(Function):
    """``x @ w.T + bias`` for a 2-D ``x`` (N, in) and ``w`` (out, in), without copying ``w.T``."""

    def forward(self, x, w, bias):
        self.save(x, w)
        self.has_bias = bias is not None
        out = self.backend.matmul(x, w, transpose_b=True)
        return self.backend.add(out, bias) if self.has_bias else out

    def backward(self, grad):
        be, (x, w) = self.backend, self.saved
        dx = be.matmul(grad, w) if self.needs_input_grad[0] else None
        dw = be.matmul(grad, x, transpose_a=True) if self.needs_input_grad[1] else None
        db = be.sum(grad, (0,), False) if self.has_bias and self.needs_input_grad[2] else None
        return dx, dw, db
