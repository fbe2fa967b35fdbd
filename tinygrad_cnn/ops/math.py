"""More elementwise math, selection and in-place indexing, with PyTorch's gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from .elementwise import unbroadcast


def _zeros_like(be: Any, a: Any) -> Any:
    return be.zeros(tuple(a.shape), a.dtype)


def _has_zero(be: Any, b: Any) -> bool:
    """Whether the integer array ``b`` holds a 0 (one bool read back, not the array)."""
    return b.size > 0 and not bool(be.to_numpy(be.all(b, tuple(range(b.ndim)), False)))


_BITWISE = {"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor"}


class Bitwise(Function):
    """``a & b``, ``a | b`` or ``a ^ b`` of two integer or bool arrays of one dtype (also
    what ``+`` and ``*`` mean for bool tensors); not differentiable."""

    def forward(self, a, b, op: str):
        return self.backend.binary(_BITWISE[op], a, b)


class BitwiseNot(Function):
    """``~a`` of an integer (two's complement) or bool (logical not) array."""

    def forward(self, a):
        return self.backend.bitwise_not(a)


class FloorDiv(Function):
    """``a // b`` (floor); its gradient is zero, as PyTorch's ``floor_divide``."""

    def forward(self, a, b):
        self.shapes = (tuple(a.shape), tuple(b.shape))
        if a.dtype.kind in "iu" and _has_zero(self.backend, b):
            raise ZeroDivisionError("floor_divide: integer division by zero")
        return self.backend.floordiv(a, b)

    def backward(self, grad):
        be = self.backend
        return tuple(be.zeros(s, grad.dtype) for s in self.shapes)


class Mod(Function):
    """Python's ``a % b``; d/da = 1, d/db = -floor(a / b) (PyTorch's ``remainder``)."""

    def forward(self, a, b):
        if a.dtype.kind in "iu" and _has_zero(self.backend, b):
            raise ZeroDivisionError("remainder: integer modulo by zero")
        self.save(a, b)
        return self.backend.mod(a, b)

    def backward(self, grad):
        be, (a, b) = self.backend, self.saved
        return (unbroadcast(be, grad, tuple(a.shape)) if self.needs_input_grad[0] else None,
                unbroadcast(be, be.neg(be.mul(grad, be.floordiv(a, b))), tuple(b.shape))
                if self.needs_input_grad[1] else None)


class Abs(Function):
    """``|a|``; the gradient is ``sign(a)`` (0 at 0, as PyTorch)."""

    def forward(self, a):
        self.save(a)
        return self.backend.abs(a)

    def backward(self, grad):
        return self.backend.mul(grad, self.backend.sign(self.saved[0]))


class Sign(Function):
    """-1, 0 or 1; zero gradient."""

    def forward(self, a):
        return self.backend.sign(a)

    def backward(self, grad):
        return _zeros_like(self.backend, grad)


class Erf(Function):
    """The error function; d erf(a) = 2/sqrt(pi) exp(-a**2)."""

    def forward(self, a):
        self.save(a)
        return self.backend.erf(a)

    def backward(self, grad):
        be, a = self.backend, self.saved[0]
        e = be.exp(be.neg(be.mul(a, a)))
        return be.mul(grad, be.scalar_op(e, "*", 2.0 / np.sqrt(np.pi)))


class Where(Function):
    """``a`` where ``cond`` else ``b`` (``cond`` is a 0/1 array in the dtype of ``a``)."""

    def forward(self, cond, a, b):
        self.cond, self.shapes = cond, (tuple(a.shape), tuple(b.shape))
        return self.backend.where(cond, a, b)

    def backward(self, grad):
        be, (sa, sb) = self.backend, self.shapes
        zero = be.zeros((), grad.dtype)
        return (None,
                unbroadcast(be, be.where(self.cond, grad, zero), sa)
                if self.needs_input_grad[1] else None,
                unbroadcast(be, be.where(self.cond, zero, grad), sb)
                if self.needs_input_grad[2] else None)


class Clamp(Function):
    """Clamp to ``[lo, hi]`` (either may be None); gradient 1 inside, 0 outside (PyTorch)."""

    def forward(self, a, lo: float | None, hi: float | None):
        be = self.backend
        out = a
        if lo is not None:
            out = be.scalar_op(out, "max", lo)
        if hi is not None:
            out = be.neg(be.scalar_op(be.neg(out), "max", -hi))
        self.save(a, out)
        return be.copy(out) if out is a else out

    def backward(self, grad):
        be, (a, out) = self.backend, self.saved
        zero = be.zeros((), grad.dtype)
        return be.where(be.eq(a, out), grad, zero)


class Clone(Function):
    """A copy with its own storage; the gradient passes through."""

    def forward(self, a):
        return self.backend.copy(a)

    def backward(self, grad):
        return grad


class SetItem(Function):
    """``a`` with ``a[index] = value``: d/da is zero at ``index``, d/dvalue gathers it."""

    def forward(self, a, value, index: Any):
        be = self.backend
        self.index, self.value_shape = index, tuple(value.shape)
        out = be.copy(a)
        be.setitem(out, index, value)
        return out

    def backward(self, grad):
        be = self.backend
        da = dv = None
        if self.needs_input_grad[0]:
            da = be.copy(grad)
            be.setitem(da, self.index, be.zeros((), grad.dtype))
        if self.needs_input_grad[1]:
            dv = unbroadcast(be, be.getitem(grad, self.index), self.value_shape)
        return da, dv


class EmptyResult(Function):
    """Zeros of ``shape`` standing for an op over empty input; zero gradients for every input
    (what PyTorch gives for a conv, pool or linear over an empty batch or no channels)."""

    def forward(self, *arrays, shape: tuple[int, ...], dtype: Any):
        self.shapes = [tuple(a.shape) for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        return self.backend.zeros(shape, dtype)

    def backward(self, grad):
        be = self.backend
        return tuple(be.zeros(s, d) for s, d in zip(self.shapes, self.dtypes))
