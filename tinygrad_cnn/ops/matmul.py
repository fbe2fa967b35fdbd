"""Matrix product with numpy's batching rules."""
from __future__ import annotations

from ..autograd import Function
from .elementwise import unbroadcast


def _swap_last(be, a):
    axes = tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)
    return be.permute(a, axes)


class MatMul(Function):
    """``a @ b`` for operands of at least two dimensions (the Tensor method lifts 1-D ones)."""

    def forward(self, a, b):
        self.save(a, b)
        return self.backend.matmul(a, b)

    def backward(self, grad):
        be, (a, b) = self.backend, self.saved
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(be, be.matmul(grad, _swap_last(be, b)), tuple(a.shape))
        if self.needs_input_grad[1]:
            db = unbroadcast(be, be.matmul(_swap_last(be, a), grad), tuple(b.shape))
        return da, db
