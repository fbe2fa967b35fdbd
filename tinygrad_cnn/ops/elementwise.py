"""Broadcasting arithmetic and activations."""
from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ..autograd import Function


def unbroadcast(be: ModuleType, grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` back over the axes that broadcasting added or stretched to reach ``shape``."""
    if tuple(grad.shape) == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = be.sum(grad, axes, False)
    return be.reshape(grad, shape)


class Add(Function):
    def forward(self, a, b):
        self.shapes = (tuple(a.shape), tuple(b.shape))
        return self.backend.add(a, b)

    def backward(self, grad):
        be, (sa, sb) = self.backend, self.shapes
        return (unbroadcast(be, grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(be, grad, sb) if self.needs_input_grad[1] else None)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = (tuple(a.shape), tuple(b.shape))
        return self.backend.sub(a, b)

    def backward(self, grad):
        be, (sa, sb) = self.backend, self.shapes
        return (unbroadcast(be, grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(be, be.neg(grad), sb) if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.save(a, b)
        return self.backend.mul(a, b)

    def backward(self, grad):
        be, (a, b) = self.backend, self.saved
        return (unbroadcast(be, be.mul(grad, b), tuple(a.shape)) if self.needs_input_grad[0] else None,
                unbroadcast(be, be.mul(grad, a), tuple(b.shape)) if self.needs_input_grad[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.save(a, b)
        return self.backend.div(a, b)

    def backward(self, grad):
        be, (a, b) = self.backend, self.saved
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(be, be.div(grad, b), tuple(a.shape))
        if self.needs_input_grad[1]:
            # d(a/b)/db = -a / b**2
            db = unbroadcast(be, be.neg(be.div(be.mul(grad, a), be.mul(b, b))), tuple(b.shape))
        return da, db


class Pow(Function):
    def forward(self, a, b):
        out = self.backend.pow(a, b)
        self.save(a, b, out)
        return out

    def backward(self, grad):
        # intermediate inf/NaN (0 ** -1, log 0) are masked out below: no host warnings for them
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._backward(grad)

    def _backward(self, grad):
        be, (a, b, out) = self.backend, self.saved
        da = db = None
        zero = be.zeros((), grad.dtype)
        if self.needs_input_grad[0]:
            # b * a**(b-1) (b * out / a would fail at a == 0); 0 where b == 0, as PyTorch
            g = be.mul(grad, be.mul(b, be.pow(a, be.scalar_op(b, "-", 1.0))))
            da = unbroadcast(be, be.where(be.eq(b, zero), zero, g), tuple(a.shape))
        if self.needs_input_grad[1]:
            # out * log(a); 0 where a == 0 and b >= 0 (PyTorch's rule, not 0 * -inf)
            g = be.mul(grad, be.mul(out, be.log(a)))
            at_zero = be.mul(be.eq(a, zero), be.eq(be.scalar_op(b, "max", 0.0), b))
            db = unbroadcast(be, be.where(at_zero, zero, g), tuple(b.shape))
        return da, db


class ScalarOp(Function):
    """``a OP c`` (or ``c OP a`` when ``reverse``) with a Python number ``c``."""

    def forward(self, a, op: str, value: float, reverse: bool = False):
        self.op, self.value, self.reverse = op, value, reverse
        out = self.backend.scalar_op(a, op, value, reverse)
        # keep the output only where the derivative uses it (an in-place update of the
        # result is then fine elsewhere, as in PyTorch)
        self.save(a, out if op == "max" or (reverse and op in ("/", "**")) else None)
        return out

    def backward(self, grad):
        be, (a, out), c = self.backend, self.saved, self.value
        op, rev = self.op, self.reverse
        if op == "+":
            return grad
        if op == "-":
            return be.neg(grad) if rev else grad
        if op == "*":
            return be.scalar_op(grad, "*", c)
        if op == "/":
            if not rev:
                return be.scalar_op(grad, "/", c)
            return be.neg(be.div(be.mul(grad, out), a))          # d(c/a) = -c/a**2 = -out/a
        if op == "**":
            if not rev:
                if c == 0:                               # d(a**0) = 0, also at a == 0
                    return be.scalar_op(grad, "*", 0.0)
                return be.mul(grad, be.scalar_op(be.scalar_op(a, "**", c - 1.0), "*", c))
            # d(c**a) = ln(c) c**a; PyTorch gives 0 for c == 0 and NaN for c < 0
            if c == 0.0:
                return be.scalar_op(grad, "*", 0.0)
            log_c = math.log(c) if c > 0 else math.nan
            return be.mul(grad, be.scalar_op(out, "*", log_c))
        if op == "max":
            return be.mul(grad, be.scalar_op(be.eq(out, a), "*", 1.0))
        raise ValueError(f"unknown scalar op {op!r}")


class Neg(Function):
    def forward(self, a):
        return self.backend.neg(a)

    def backward(self, grad):
        return self.backend.neg(grad)


class Exp(Function):
    def forward(self, a):
        out = self.backend.exp(a)
        self.save(out)
        return out

    def backward(self, grad):
        return self.backend.mul(grad, self.saved[0])


class Log(Function):
    def forward(self, a):
        self.save(a)
        return self.backend.log(a)

    def backward(self, grad):
        return self.backend.div(grad, self.saved[0])


class Sqrt(Function):
    def forward(self, a):
        out = self.backend.sqrt(a)
        self.save(out)
        return out

    def backward(self, grad):
        be = self.backend
        return be.div(be.scalar_op(grad, "*", 0.5), self.saved[0])


class Relu(Function):
    def forward(self, a):
        out = self.backend.relu(a)
        self.save(out)
        return out

    def backward(self, grad):
        return self.backend.relu_backward(grad, self.saved[0])


class LeakyRelu(Function):
    def forward(self, a, slope: float):
        self.slope = float(slope)
        self.save(a)
        return self.backend.leaky_relu(a, self.slope)

    def backward(self, grad):
        return self.backend.leaky_relu_backward(grad, self.saved[0], self.slope)


class Sigmoid(Function):
    def forward(self, a):
        out = self.backend.sigmoid(a)
        self.save(out)
        return out

    def backward(self, grad):
        be, out = self.backend, self.saved[0]
        return be.mul(grad, be.mul(out, be.scalar_op(out, "-", 1.0, reverse=True)))


class Tanh(Function):
    def forward(self, a):
        out = self.backend.tanh(a)
        self.save(out)
        return out

    def backward(self, grad):
        be, out = self.backend, self.saved[0]
        return be.mul(grad, be.scalar_op(be.mul(out, out), "-", 1.0, reverse=True))


class Maximum(Function):
    """Elementwise maximum; at ties the gradient is split evenly, as in PyTorch."""

    def forward(self, a, b):
        out = self.backend.maximum(a, b)
        self.save(a, b, out)
        return out

    def backward(self, grad):
        be, (a, b, out) = self.backend, self.saved
        wa, wb = be.eq(be.broadcast_to(a, tuple(out.shape)), out), be.eq(be.broadcast_to(b, tuple(out.shape)), out)
        total = be.add(wa, wb)
        return (unbroadcast(be, be.div(be.mul(grad, wa), total), tuple(a.shape)) if self.needs_input_grad[0] else None,
                unbroadcast(be, be.div(be.mul(grad, wb), total), tuple(b.shape)) if self.needs_input_grad[1] else None)


class Cast(Function):
    """Change the dtype; the gradient is cast back."""

    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return self.backend.astype(a, dtype)

    def backward(self, grad):
        return self.backend.astype(grad, self.in_dtype)
