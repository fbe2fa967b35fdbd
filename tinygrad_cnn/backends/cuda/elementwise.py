"""Elementwise ops on the GPU with numpy broadcasting; the result has the dtype of ``a``.

The contract's ``unary`` and ``binary`` take the op as a parameter; here it becomes a small
integer switch (its index in ``UNARY_OPS``/``BINARY_OPS``, uniform across a launch, so it
costs no divergence), which keeps compile time and the PTX test short. Named shortcuts
(``add``, ``relu``, ...) come from :mod:`.._shortcuts`.
Equal shapes take a flat kernel; otherwise a broadcasting kernel maps each output index to
its two input offsets through (coalesced) shape and stride tuples.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> a = from_numpy(np.ones((2, 3), np.float32))
    >>> to_numpy(binary("add", a, from_numpy(np.arange(3, dtype=np.float32)))).tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda

from ..api import BINARY_OPS, UNARY_OPS
from ._common import (DIMS, broadcast_strides, coalesce, empty, flat, float32, kernel, offsets2_of,
                      padded, scalar)
from .array import astype

__all__ = ["unary", "binary", "scalar_op", "where"]

# Op codes: the index of the op's name in BINARY_OPS (x OP y; param is the leaky-relu slope)
# and UNARY_OPS.
_B = {name: i for i, name in enumerate(BINARY_OPS)}
_U = {name: i for i, name in enumerate(UNARY_OPS)}
_ADD, _SUB, _MUL, _DIV, _POW = _B["add"], _B["sub"], _B["mul"], _B["div"], _B["pow"]
_MAX = _B["maximum"]
_EQ, _RELU_BW, _FLOORDIV, _MOD = _B["eq"], _B["relu_backward"], _B["floordiv"], _B["mod"]
_NEG, _EXP, _LOG, _SQRT, _SIGMOID = _U["neg"], _U["exp"], _U["log"], _U["sqrt"], _U["sigmoid"]
_TANH, _RELU, _ABS, _SIGN, _FLOOR, _ERF = (_U["tanh"], _U["relu"], _U["abs"], _U["sign"],
                                           _U["floor"], _U["erf"])
# Binary and scalar ops also take int64 arrays (labels, counts); the rest is float-only.
_TYPES = ("float32", "float64", "int64")
_SCALAR_OPS = {"+": _ADD, "-": _SUB, "*": _MUL, "/": _DIV, "**": _POW, "max": _MAX}


@cuda.jit(device=True)
def _apply2(op, x, y, param):
    if op == _ADD:
        return x + y
    if op == _SUB:
        return x - y
    if op == _MUL:
        return x * y
    if op == _DIV:
        return x / y
    if op == _POW:
        # IEEE results where Python's math (the simulator) would raise a domain error
        if x == float32(0) and y < float32(0):
            return float32(math.inf)
        if x < float32(0) and y % float32(1) != float32(0):
            return float32(math.nan)
        return math.pow(x, y)
    if op == _MAX:
        # numpy's maximum: NaN wins, ties keep x.
        return x if (x != x or x >= y) else y
    if op == _EQ:
        return float32(1) if x == y else float32(0)
    if op == _RELU_BW:
        # x is the upstream gradient, y the relu output; NaN outputs pass it (as PyTorch).
        return float32(0) if y <= float32(0) else x
    if op == _FLOORDIV:
        return x // y
    if op == _MOD:
        return x % y
    # leaky_relu_backward: x is the upstream gradient, y the leaky-relu input.
    return x if y > float32(0) else x * param


@cuda.jit(device=True)
def _apply1(op, x, param):
    if op == _NEG:
        return -x
    if op == _EXP:
        return math.exp(x)
    if op == _LOG:
        if x <= float32(0):                  # -inf at 0, NaN below (the simulator would raise)
            return float32(-math.inf) if x == float32(0) else float32(math.nan)
        return math.log(x)
    if op == _SQRT:
        return math.sqrt(x)
    if op == _SIGMOID:
        # Stable on both sides: exp never overflows to inf/inf.
        if x >= float32(0):
            return float32(1) / (float32(1) + math.exp(-x))
        e = math.exp(x)
        return e / (float32(1) + e)
    if op == _TANH:
        return math.tanh(x)
    if op == _RELU:
        return x if (x > float32(0) or x != x) else float32(0)   # NaN passes, as on the CPU
    if op == _ABS:
        return x if x > float32(0) else -x
    if op == _SIGN:
        if x > float32(0):
            return float32(1)
        if x < float32(0):
            return float32(-1)
        return x                                                  # 0 and NaN stay
    if op == _FLOOR:
        if x != x or math.isinf(x):
            return x
        return math.floor(x)
    if op == _ERF:
        return math.erf(x)
    # leaky_relu
    return x if x > float32(0) else x * param


@kernel("void({t}[::1], {t}[::1], {t}[::1], int64, {t})", dtypes=_TYPES)
def _binary_flat(a, b, out, op, param):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _apply2(op, a[i], b[i], param)


@kernel(f"void({{t}}[::1], {{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, {DIMS}, int64, int64, {{t}})",
        dtypes=_TYPES)
def _binary_bcast(a, b, out, shape, sa, sb, ndim, op, param):
    i = cuda.grid(1)
    if i < out.size:
        ia, ib = offsets2_of(i, shape, sa, sb, ndim)
        out[i] = _apply2(op, a[ia], b[ib], param)


@kernel("void({t}[::1], {t}[::1], int64, {t}, boolean)", dtypes=_TYPES)
def _scalar(a, out, op, value, reverse):
    i = cuda.grid(1)
    if i < out.size:
        if reverse:
            out[i] = _apply2(op, value, a[i], value)
        else:
            out[i] = _apply2(op, a[i], value, value)


@kernel("void({t}[::1], {t}[::1], int64, {t})")
def _unary(a, out, op, param):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _apply1(op, a[i], param)


@kernel(f"void({{t}}[::1], {{t}}[::1], {{t}}[::1], {{t}}[::1], {DIMS}, {DIMS}, {DIMS}, {DIMS}, "
        "int64)", dtypes=_TYPES)
def _where_bcast(c, a, b, out, shape, sc, sa, sb, ndim):
    i = cuda.grid(1)
    if i < out.size:
        rem = i
        ic = 0
        ia = 0
        ib = 0
        for d in range(ndim - 1, -1, -1):
            idx = rem % shape[d]
            rem //= shape[d]
            ic += idx * sc[d]
            ia += idx * sa[d]
            ib += idx * sb[d]
        out[i] = a[ia] if c[ic] != 0 else b[ib]


def _binary(a: Any, b: Any, op: int, param: float = 0.0) -> Any:
    if b.dtype != a.dtype:
        b = astype(b, a.dtype)
    value = scalar(a.dtype, param)
    if a.shape == b.shape:
        out = empty(a.shape, a.dtype)
        _binary_flat.launch(out.size, flat(a), flat(b), flat(out), op, value)
        return out
    shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    out = empty(shape, a.dtype)
    dims, sa, sb = coalesce(shape, broadcast_strides(shape, a.shape),
                            broadcast_strides(shape, b.shape))
    _binary_bcast.launch(out.size, flat(a), flat(b), flat(out), padded(dims, 1), padded(sa),
                         padded(sb), len(dims), op, value)
    return out


def _unary_op(a: Any, op: int, param: float = 0.0) -> Any:
    out = empty(a.shape, a.dtype)
    _unary.launch(out.size, flat(a), flat(out), op, scalar(a.dtype, param))
    return out


def unary(op: str, a: Any, param: float = 0.0) -> Any:
    """``op(a)`` for ``op`` in :data:`tinygrad_cnn.backends.api.UNARY_OPS` (``param``: the
    leaky-relu slope)."""
    return _unary_op(a, _U[op], param)


def binary(op: str, a: Any, b: Any, param: float = 0.0) -> Any:
    """``a OP b`` with broadcasting for ``op`` in :data:`tinygrad_cnn.backends.api.BINARY_OPS`
    (IEEE: x/0 is inf or NaN; ``maximum`` lets NaN win; ``mod`` has the sign of ``b``)."""
    return _binary(a, b, _B[op], param)


def scalar_op(a: Any, op: str, value: float, reverse: bool = False) -> Any:
    """``a OP value`` (``value OP a`` when ``reverse``); op in ``+ - * / ** max``.

    Example:
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
        >>> to_numpy(scalar_op(from_numpy(np.array([2.0])), "-", 1.0, reverse=True)).tolist()
        [-1.0]
    """
    code = _SCALAR_OPS[op]
    out = empty(a.shape, a.dtype)
    _scalar.launch(out.size, flat(a), flat(out), code, scalar(a.dtype, value), bool(reverse))
    return out


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` is non-zero else ``b``, broadcasting all three; ``a``'s dtype."""
    if cond.dtype != a.dtype:
        cond = astype(cond, a.dtype)
    if b.dtype != a.dtype:
        b = astype(b, a.dtype)
    shape = tuple(np.broadcast_shapes(cond.shape, a.shape, b.shape))
    out = empty(shape, a.dtype)
    if out.size:
        dims, sc, sa, sb = coalesce(shape, *(broadcast_strides(shape, x.shape)
                                             for x in (cond, a, b)))
        _where_bcast.launch(out.size, flat(cond), flat(a), flat(b), flat(out), padded(dims, 1),
                            padded(sc), padded(sa), padded(sb), len(dims))
    return out
