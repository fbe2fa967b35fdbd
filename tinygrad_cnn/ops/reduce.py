"""Sum and max over axes."""
from __future__ import annotations

from ..autograd import Function


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, a, axes: tuple[int, ...], keepdim: bool):
        self.in_shape, self.axes = tuple(a.shape), axes
        return self.backend.sum(a, axes, keepdim)

    def backward(self, grad):
        be = self.backend
        grad = be.reshape(grad, _kept_shape(self.in_shape, self.axes))
        return be.broadcast_to(grad, self.in_shape)


class Max(Function):
    """Maximum over axes; tied maxima share the gradient evenly (as ``torch.amax``)."""

    def forward(self, a, axes: tuple[int, ...], keepdim: bool):
        be = self.backend
        out = be.max(a, axes, True)
        self.save(a, out)
        self.axes = axes
        return out if keepdim else be.reshape(out, tuple(
            n for i, n in enumerate(out.shape) if i not in axes))

    def backward(self, grad):
        be, (a, out) = self.backend, self.saved
        kept = tuple(out.shape)
        hits = be.eq(a, out)
        count = be.sum(hits, self.axes, True)
        return be.mul(hits, be.div(be.reshape(grad, kept), count))
