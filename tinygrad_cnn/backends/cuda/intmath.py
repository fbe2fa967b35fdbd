"""Integer and bool tensors on the GPU: one set of kernels per *hub* dtype, the rest
normalised in these wrappers.

The arithmetic, reduction and movement kernels are compiled for float32, float64 and int64
only. A uint8, int8, int16, int32 or bool array is widened to int64 on the device, the int64
kernel runs, and the result is cast back with wrap-around (:mod:`._cast`). For ``+ - *``,
``**`` and negation this is exact modulo ``2**bits``, so the result equals numpy's (and
PyTorch's) arithmetic in the narrow dtype; ``// % max where`` and the movements never leave
the narrow range. A Python scalar is first wrapped into the array's dtype, as on the CPU.
Integer negation, ``abs``, ``sign``, ``**`` and the bitwise ops (``bitwise_and/or/xor/not``:
integer and bool arrays only; ``bitwise_not`` of bool is logical not) have their own int64
kernels here (the float kernels use ``math.pow`` and float literals).

This module is imported last by the package: its ``unary``/``binary`` (and the other names
below) replace the plain kernels' entries, and the named shortcuts (``be.add`` ...) call them.

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> a = from_numpy(np.array([200, 3], np.uint8))
    >>> to_numpy(binary("add", a, a)).tolist(), to_numpy(unary("neg", a)).tolist()
    ([144, 6], [56, 253])
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np
from numba import cuda, int64

from . import array as _ar
from . import elementwise as _ew
from . import movement as _mv
from . import reduce as _rd
from ._cast import HUBS
from ._common import empty, flat, kernel

__all__ = ["unary", "binary", "scalar_op", "where", "sum", "max", "full", "zeros", "reshape",
           "permute", "broadcast_to", "pad", "getitem", "getitem_backward", "take_along_class"]

_I64 = np.dtype(np.int64)
_NEG, _ABS, _SIGN, _ISNEG, _NOT, _LNOT = range(6)
_INT_UNARY = {"neg": _NEG, "abs": _ABS, "sign": _SIGN, "bitwise_not": _NOT}
_AND, _OR, _XOR = range(3)
_BITWISE = {"bitwise_and": _AND, "bitwise_or": _OR, "bitwise_xor": _XOR}


@kernel("void(int64[::1], int64[::1], int64)", dtypes=())
def _iunary(a, out, op):
    i = cuda.grid(1)
    if i < out.size:
        x = a[i]
        if op == _NEG:
            out[i] = -x
        elif op == _ABS:
            out[i] = -x if x < 0 else x
        elif op == _SIGN:
            out[i] = int64(1) if x > 0 else (int64(-1) if x < 0 else int64(0))
        elif op == _NOT:
            out[i] = ~x
        elif op == _LNOT:
            out[i] = int64(1) if x == 0 else int64(0)
        else:
            out[i] = int64(1) if x < 0 else int64(0)


@kernel("void(int64[::1], int64[::1], int64[::1], int64)", dtypes=())
def _ibitwise(a, b, out, op):
    i = cuda.grid(1)
    if i < out.size:
        if op == _AND:
            out[i] = a[i] & b[i]
        elif op == _OR:
            out[i] = a[i] | b[i]
        else:
            out[i] = a[i] ^ b[i]


@kernel("void(int64[::1], int64[::1], int64[::1])", dtypes=())
def _ipow(a, b, out):
    # square and multiply in int64: exact modulo 2**64, as numpy's integer power
    i = cuda.grid(1)
    if i < out.size:
        base = a[i]
        e = b[i]
        r = int64(1)
        while e > 0:
            if e & 1:
                r *= base
            base *= base
            e >>= 1
        out[i] = r


def _wide(a: Any) -> Any:
    return a if a.dtype.name in HUBS else _ar.astype(a, _I64)


def _back(out: Any, dtype: np.dtype) -> Any:
    return out if out.dtype == dtype else _ar.astype(out, dtype)


def _first_arg(fn: Callable) -> Callable:
    """``fn`` for a first argument of any dtype (the others are cast by ``fn`` itself)."""
    @functools.wraps(fn)
    def wrapped(a: Any, *args: Any) -> Any:
        if a.dtype.name in HUBS:
            return fn(a, *args)
        return _back(fn(_wide(a), *args), a.dtype)
    return wrapped


def binary(op: str, a: Any, b: Any, param: float = 0.0) -> Any:
    """``a OP b`` (see :meth:`.api.Backend.binary`) for every dtype of ``a``: integer ``**`` is
    exact, the other integer ops run in int64 and wrap back into ``a``'s dtype."""
    if op == "pow" and a.dtype.kind != "f":
        return _int_pow(a, b)
    if op in _BITWISE:
        return _bitwise(a, b, _BITWISE[op])
    if a.dtype.name in HUBS:
        return _ew.binary(op, a, b, param)
    return _back(_ew.binary(op, _wide(a), _wide(b), param), a.dtype)


def unary(op: str, a: Any, param: float = 0.0) -> Any:
    """``op(a)`` (see :meth:`.api.Backend.unary`); integer ``neg``/``abs``/``sign`` have their
    own int64 kernel (``-uint8(3) == 253``, NaN-free ``sign``)."""
    if op == "bitwise_not" and a.dtype.kind == "f":
        raise TypeError(f"bitwise_not: integer or bool arrays only, got {a.dtype}")
    if a.dtype.kind != "f" and op in _INT_UNARY:
        return _int_unary(a, _LNOT if op == "bitwise_not" and a.dtype == np.bool_
                          else _INT_UNARY[op])
    return _ew.unary(op, a, param)


max = _first_arg(_rd.max)  # noqa: A001
sum = _first_arg(_rd.sum)  # noqa: A001
reshape, permute, broadcast_to, getitem, getitem_backward = (_first_arg(f) for f in (
    _mv.reshape, _mv.permute, _mv.broadcast_to, _mv.getitem, _mv.getitem_backward))
take_along_class = _first_arg(_mv.take_along_class)


def pad(a: Any, pads: tuple[tuple[int, int], ...], value: float) -> Any:
    """Constant padding, for every dtype."""
    if a.dtype.name in HUBS:
        return _mv.pad(a, pads, value)
    return _back(_mv.pad(_wide(a), pads, int(_wrap(value, a.dtype))), a.dtype)


def full(shape: tuple[int, ...], value: float, dtype: Any) -> Any:
    """A new array of ``shape`` filled with ``value`` (wrapped into an integer ``dtype``)."""
    dtype = np.dtype(dtype)
    if dtype.name in HUBS:
        return _ar.full(shape, value, dtype)
    return _back(_ar.full(shape, int(_wrap(value, dtype)), _I64), dtype)


def zeros(shape: tuple[int, ...], dtype: Any) -> Any:
    """A new array of zeros."""
    return full(shape, 0, dtype)


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` is non-zero else ``b``, for every dtype of ``a``."""
    if a.dtype.name in HUBS:
        return _ew.where(cond, a, b)
    return _back(_ew.where(_wide(cond), _wide(a), _wide(b)), a.dtype)


def _wrap(value: Any, dtype: np.dtype) -> Any:
    """A Python number as the CPU backend stores it in ``dtype`` (integers wrap around)."""
    return np.array(value).astype(dtype)[()]


def _int_unary(a: Any, op: int) -> Any:
    x = _wide(a)
    out = empty(x.shape, _I64)
    _iunary.launch(out.size, flat(x), flat(out), op)
    return _back(out, a.dtype)


def _check_exponent(b: Any) -> None:
    if b.size and _ar.to_numpy(_rd.max(_int_unary(b, _ISNEG), tuple(range(b.ndim)), False)):
        raise ValueError("Integers to negative integer powers are not allowed.")


def _int_pow(a: Any, b: Any) -> Any:
    """Integer ``a ** b`` with broadcasting, exact modulo ``2**bits``."""
    x, y = _wide(a), _wide(b if b.dtype == a.dtype else _ar.astype(b, a.dtype))
    _check_exponent(y)
    shape = tuple(np.broadcast_shapes(x.shape, y.shape))
    x = x if x.shape == shape else _mv.broadcast_to(x, shape)
    y = y if y.shape == shape else _mv.broadcast_to(y, shape)
    out = empty(shape, _I64)
    _ipow.launch(out.size, flat(x), flat(y), flat(out))
    # numpy (the CPU backend) raises bool ** bool to int8
    return _back(out, np.dtype(np.int8) if a.dtype == np.bool_ else a.dtype)


def _bitwise(a: Any, b: Any, op: int) -> Any:
    """``a & b``, ``a | b`` or ``a ^ b`` with broadcasting in int64, back in ``a``'s dtype
    (two's complement: exact for every integer and bool dtype)."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        raise TypeError(f"bitwise ops: integer or bool arrays only, got {a.dtype}, {b.dtype}")
    x, y = _wide(a), _wide(b if b.dtype == a.dtype else _ar.astype(b, a.dtype))
    shape = tuple(np.broadcast_shapes(x.shape, y.shape))
    x = x if x.shape == shape else _mv.broadcast_to(x, shape)
    y = y if y.shape == shape else _mv.broadcast_to(y, shape)
    out = empty(shape, _I64)
    _ibitwise.launch(out.size, flat(x), flat(y), flat(out), op)
    return _back(out, a.dtype)


def scalar_op(a: Any, op: str, value: float, reverse: bool = False) -> Any:
    """``a OP value`` (``value OP a`` when ``reverse``) for every dtype; an integer scalar is
    wrapped into ``a``'s dtype first, as on the CPU."""
    if a.dtype.kind == "f":
        return _ew.scalar_op(a, op, value, reverse)
    v = _wrap(value, a.dtype)
    if op == "**":
        c = full((), v, a.dtype)
        return _int_pow(c, a) if reverse else _int_pow(a, c)
    return _back(_ew.scalar_op(_wide(a), op, int(v), reverse), a.dtype)
