"""Elementwise ops. numpy's ufuncs are already vectorised; the activations that run on every
conv output of a training step (ReLU forward and backward) are fused Numba loops, which
avoid numpy's temporary boolean mask."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["add", "sub", "mul", "div", "pow", "maximum", "scalar_op", "neg", "exp", "log",
           "sqrt", "sigmoid", "tanh", "relu", "relu_backward", "leaky_relu",
           "leaky_relu_backward", "eq", "abs", "sign", "floor", "erf", "floordiv", "mod",
           "where"]


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` with broadcasting."""
    return np.add(a, b)


def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` with broadcasting."""
    return np.subtract(a, b)


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a * b`` with broadcasting."""
    return np.multiply(a, b)


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with broadcasting."""
    return np.divide(a, b)


def pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # noqa: A001
    """``a ** b`` with broadcasting."""
    return np.power(a, b)


def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise maximum with broadcasting."""
    return np.maximum(a, b)


_SCALAR_UFUNCS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
                  "**": np.power, "max": np.maximum}


def scalar_op(a: np.ndarray, op: str, value: float, reverse: bool = False) -> np.ndarray:
    """``a OP value``, or ``value OP a`` when ``reverse``, in ``a``'s dtype.

    Example:
        >>> scalar_op(np.ones(2, np.float32), "-", 3.0, reverse=True)
        array([2., 2.], dtype=float32)
    """
    ufunc = _SCALAR_UFUNCS[op]
    # integers wrap around into the array's dtype (uint8: 300 -> 44), as PyTorch's do
    scalar = np.array(value).astype(a.dtype)[()] if a.dtype.kind in "iub" else a.dtype.type(value)
    return ufunc(scalar, a) if reverse else ufunc(a, scalar)


def neg(a: np.ndarray) -> np.ndarray:
    """``-a``."""
    return np.negative(a)


def exp(a: np.ndarray) -> np.ndarray:
    """``e ** a``."""
    return np.exp(a)


def log(a: np.ndarray) -> np.ndarray:
    """Natural logarithm."""
    return np.log(a)


def sqrt(a: np.ndarray) -> np.ndarray:
    """Square root."""
    return np.sqrt(a)


def sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + e ** -a)`` computed without overflow for large ``|a|``."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(a)


@njit(parallel=True, cache=True)
def _relu_kernel(a, out):
    zero = a.dtype.type(0)
    for i in prange(a.size):
        v = a[i]
        # ``v > 0`` is False for NaN, so write NaN through explicitly as PyTorch does
        out[i] = v if (v > zero or v != v) else zero


@njit(parallel=True, cache=True)
def _relu_backward_kernel(grad, out, dx):
    zero = grad.dtype.type(0)
    for i in prange(grad.size):
        # PyTorch's rule: zero only where out <= 0, so NaN outputs pass the gradient
        dx[i] = zero if out[i] <= zero else grad[i]


def relu(a: np.ndarray) -> np.ndarray:
    """``max(a, 0)``, NaN kept."""
    a = np.asarray(a, order="C")
    out = np.empty_like(a)
    _relu_kernel(a.reshape(-1), out.reshape(-1))
    return out


def relu_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``grad`` where the ReLU output is positive, else 0."""
    grad = np.asarray(grad, order="C")
    out = np.asarray(out, dtype=grad.dtype, order="C")
    dx = np.empty_like(grad)
    _relu_backward_kernel(grad.reshape(-1), out.reshape(-1), dx.reshape(-1))
    return dx


def leaky_relu(a: np.ndarray, slope: float) -> np.ndarray:
    """``a`` where positive, else ``slope * a``."""
    return np.where(a > 0, a, a * a.dtype.type(slope))


def leaky_relu_backward(grad: np.ndarray, a: np.ndarray, slope: float) -> np.ndarray:
    """``grad`` where ``a`` is positive, else ``slope * grad``."""
    return np.where(a > 0, grad, grad * grad.dtype.type(slope))


def eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where ``a == b`` else 0, in ``a``'s dtype."""
    return np.equal(a, b).astype(a.dtype)


def abs(a: np.ndarray) -> np.ndarray:  # noqa: A001
    """``|a|``."""
    return np.abs(a)


def sign(a: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 by the sign of ``a`` (NaN stays NaN)."""
    return np.sign(a)


def floor(a: np.ndarray) -> np.ndarray:
    """Largest integer not above ``a``, in ``a``'s dtype."""
    return np.floor(a)


@njit(parallel=True, cache=True)
def _erf_kernel(a, out):
    for i in prange(a.size):
        out[i] = math.erf(a[i])


def erf(a: np.ndarray) -> np.ndarray:
    """The error function, elementwise."""
    a = np.ascontiguousarray(a)
    out = np.empty_like(a)
    _erf_kernel(a.reshape(-1), out.reshape(-1))
    return out


def floordiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``floor(a / b)`` with broadcasting (exact for integers, Python's rounding)."""
    return np.floor_divide(a, b)


def mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - floor(a / b) * b`` with broadcasting (the sign of ``b``, as Python's ``%``)."""
    return np.mod(a, b)


def where(cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` where ``cond`` is non-zero else ``b``, broadcasting all three; ``a``'s dtype."""
    return np.where(cond != 0, a, b).astype(a.dtype, copy=False)
