"""Selection, scans and indexing along one axis over the backend's own kernels (no host
copies on any device): arg-reductions, sort order, ``gather``, ``cumsum``, ``prod``, the
logical reductions and ``one_hot``.

Ops without a gradient (indices, bool results) are applied to detached inputs by their
callers.

Example:
    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, 3.0, 2.0]], requires_grad=True)
    >>> Gather.apply(x, SortIndices.apply(x.detach(), axis=1, descending=True), axis=1).tolist()
    [[3.0, 2.0, 1.0]]
"""
from __future__ import annotations

from typing import Any

from ..autograd import Function


class ArgReduce(Function):
    """int64 index of the first maximum (``largest``) or minimum along ``axis``."""

    def forward(self, a, axis: int, largest: bool):
        return (self.backend.argmax if largest else self.backend.argmin)(a, axis)


class SortIndices(Function):
    """The stable sort order along ``axis`` (int64); values follow with :class:`Gather`."""

    def forward(self, a, axis: int, descending: bool):
        return self.backend.sort(a, axis, descending)[1]


class Gather(Function):
    """``torch.gather`` along ``axis``; the gradient adds back where it read."""

    def forward(self, a, index, axis: int):
        self.index, self.axis, self.shape = index, axis, tuple(a.shape)
        return self.backend.gather(a, axis, index)

    def backward(self, grad):
        return self.backend.gather_backward(grad, self.axis, self.index, self.shape), None


class Take(Function):
    """Rows ``a[index]`` for a 1-D int64 ``index``; the gradient adds back into the rows."""

    def forward(self, a, index):
        self.index, self.n = index, int(a.shape[0])
        return self.backend.take(a, index)

    def backward(self, grad):
        return self.backend.take_backward(grad, self.index, self.n), None


class FlatNonzero(Function):
    """int64 positions of the ``count`` non-zero entries of a 1-D mask (not differentiable)."""

    def forward(self, mask, count: int):
        return self.backend.flatnonzero(mask, count)


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the running sum from the end."""

    def forward(self, a, axis: int):
        self.axis = axis
        return self.backend.cumsum(a, axis, False)

    def backward(self, grad):
        return self.backend.cumsum(grad, self.axis, True)


class Prod(Function):
    """Product along ``axis``; d/dx_i is the product of all the others (exact at zeros)."""

    def forward(self, a, axis: int, keepdim: bool):
        self.save(a)
        self.axis, self.keepdim = axis, keepdim
        return self.backend.prod(a, axis, keepdim)

    def backward(self, grad):
        be, a, ax = self.backend, self.saved[0], self.axis
        if not self.keepdim:
            grad = be.reshape(grad, tuple(1 if k == ax else n for k, n in enumerate(a.shape)))
        others = be.mul(be.cumprod_exclusive(a, ax, False), be.cumprod_exclusive(a, ax, True))
        return be.mul(others, grad)


class LogicReduce(Function):
    """bool ``all`` / ``any`` over ``axes``."""

    def forward(self, a, axes: tuple[int, ...], keepdim: bool, op: str):
        return (self.backend.all if op == "all" else self.backend.any)(a, axes, keepdim)


class OneHot(Function):
    """int64 one-hot rows of valid int64 class indices."""

    def forward(self, index, num_classes: int):
        return self.backend.one_hot(index, num_classes)


class FiniteOrZero(Function):
    """``a`` where finite, else 0 (the safe shift of ``logsumexp``; no gradient)."""

    def forward(self, a):
        be = self.backend
        zero = be.zeros((), a.dtype)
        finite = be.eq(be.sub(a, a), zero)          # inf - inf and NaN - NaN are NaN
        return be.where(finite, a, zero)


def index_bounds(index: Any) -> tuple[int, int]:
    """(min, max) of a non-empty integer tensor, read back as two numbers."""
    return -int((-index).amax().item()), int(index.amax().item())


class Compare(Function):
    """bool ``a OP b`` (``== != < <= > >=``) of two arrays of one dtype, broadcasting."""

    def forward(self, a, b, op: str):
        return self.backend.compare(a, b, op)
