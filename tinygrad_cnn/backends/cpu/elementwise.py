"""Elementwise ops: one ``unary`` and one ``binary`` kernel, the op a parameter.

numpy's ufuncs are already vectorised; the activations that run on every conv output of a
training step (ReLU forward and backward) are fused Numba loops, which avoid numpy's temporary
boolean mask. Named shortcuts (``add``, ``relu``, ...) come from :mod:`.._shortcuts`.

Example:
    >>> binary("maximum", np.float32([1.0, 5.0]), np.float32([3.0]))
    array([3., 5.], dtype=float32)
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from numba import njit, prange

__all__ = ["unary", "binary", "scalar_op", "where"]


def _sigmoid(a: np.ndarray, slope: float) -> np.ndarray:
    """``1 / (1 + e ** -a)`` computed without overflow for large ``|a|``."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


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


@njit(parallel=True, cache=True)
def _erf_kernel(a, out):
    for i in prange(a.size):
        out[i] = math.erf(a[i])


def _relu(a: np.ndarray, slope: float) -> np.ndarray:
    a = np.asarray(a, order="C")
    out = np.empty_like(a)
    _relu_kernel(a.reshape(-1), out.reshape(-1))
    return out


def _erf(a: np.ndarray, slope: float) -> np.ndarray:
    a = np.ascontiguousarray(a)
    out = np.empty_like(a)
    _erf_kernel(a.reshape(-1), out.reshape(-1))
    return out


def _relu_backward(grad: np.ndarray, out: np.ndarray, slope: float) -> np.ndarray:
    grad = np.asarray(grad, order="C")
    out = np.asarray(out, dtype=grad.dtype, order="C")
    dx = np.empty_like(grad)
    _relu_backward_kernel(grad.reshape(-1), out.reshape(-1), dx.reshape(-1))
    return dx


def _ufunc1(f: np.ufunc) -> Callable:
    return lambda a, slope: f(a)


def _ufunc2(f: np.ufunc) -> Callable:
    return lambda a, b, slope: f(a, b)


_UNARY: dict[str, Callable] = {
    "neg": _ufunc1(np.negative), "exp": _ufunc1(np.exp), "log": _ufunc1(np.log),
    "sqrt": _ufunc1(np.sqrt), "sigmoid": _sigmoid, "tanh": _ufunc1(np.tanh), "relu": _relu,
    "leaky_relu": lambda a, slope: np.where(a > 0, a, a * a.dtype.type(slope)),
    "abs": _ufunc1(np.abs), "sign": _ufunc1(np.sign), "floor": _ufunc1(np.floor), "erf": _erf,
    "bitwise_not": _ufunc1(np.invert),
}
_BINARY: dict[str, Callable] = {
    "add": _ufunc2(np.add), "sub": _ufunc2(np.subtract), "mul": _ufunc2(np.multiply),
    "div": _ufunc2(np.divide), "pow": _ufunc2(np.power), "maximum": _ufunc2(np.maximum),
    "eq": lambda a, b, slope: np.equal(a, b).astype(a.dtype),
    "floordiv": _ufunc2(np.floor_divide), "mod": _ufunc2(np.mod),
    "relu_backward": _relu_backward,
    "leaky_relu_backward": lambda g, a, slope: np.where(a > 0, g, g * g.dtype.type(slope)),
    # integer and bool arrays only; ``b`` is cast to ``a``'s dtype (the result has it)
    "bitwise_and": lambda a, b, slope: np.bitwise_and(a, b.astype(a.dtype, copy=False)),
    "bitwise_or": lambda a, b, slope: np.bitwise_or(a, b.astype(a.dtype, copy=False)),
    "bitwise_xor": lambda a, b, slope: np.bitwise_xor(a, b.astype(a.dtype, copy=False)),
}


def unary(op: str, a: np.ndarray, param: float = 0.0) -> np.ndarray:
    """``op(a)`` for ``op`` in :data:`tinygrad_cnn.backends.api.UNARY_OPS` (``param``: the
    leaky-relu slope).

    Example:
        >>> unary("relu", np.float32([-1.0, np.nan, 2.0]))
        array([ 0., nan,  2.], dtype=float32)
        >>> unary("leaky_relu", np.float32([-2.0]), 0.5)
        array([-1.], dtype=float32)
    """
    return _UNARY[op](a, param)


def binary(op: str, a: np.ndarray, b: np.ndarray, param: float = 0.0) -> np.ndarray:
    """``a OP b`` with broadcasting for ``op`` in :data:`tinygrad_cnn.backends.api.BINARY_OPS`
    (``param``: the leaky-relu slope of ``leaky_relu_backward``).

    Example:
        >>> binary("mod", np.float32([7.0, -7.0]), np.float32([2.0])).tolist()
        [1.0, 1.0]
    """
    return _BINARY[op](a, b, param)


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


def where(cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` where ``cond`` is non-zero else ``b``, broadcasting all three; ``a``'s dtype."""
    return np.where(cond != 0, a, b).astype(a.dtype, copy=False)
