"""Tensor operators: arithmetic with PyTorch's type promotion, comparisons, logical operators,
in-place updates (``+=``, ``add_``, ``copy_``, ``x[i] = v`` ...) and the version counter.

Mixed into :class:`tinygrad_cnn.Tensor`; see :mod:`tinygrad_cnn.dtypes` for the promotion rule.

Example:
    >>> import tinygrad_cnn as tg
    >>> mask = tg.Tensor([1, 2, 3]) > 1
    >>> (mask.sum().item(), (mask + 5).tolist())
    (2, [5, 6, 6])
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .autograd import Function, is_grad_enabled, no_grad
from .backends import get_backend
from .dtypes import BOOL, FLOAT32, category, result_type, scalar_result_type
from .ops import elementwise as ew
from .ops import math as mt
from .ops.select import Compare

if TYPE_CHECKING:
    from .tensor import Tensor

_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def _tensor_cls() -> type:
    from .tensor import Tensor
    return Tensor


def _as_operand(value: Any, like: "Tensor") -> "Tensor":
    """A Python number becomes a 0-d tensor of its default dtype; array-likes a tensor."""
    T = _tensor_cls()
    if isinstance(value, T):
        return value
    if isinstance(value, _NUMBER):
        return T(value, device=like.device, dtype=scalar_result_type(BOOL, value)
                 if not isinstance(value, (bool, np.bool_)) else BOOL)
    return T(value, device=like.device)


_COMPARISONS = {np.equal: "==", np.not_equal: "!=", np.less: "<", np.less_equal: "<=",
                np.greater: ">", np.greater_equal: ">="}
_I64 = np.iinfo(np.int64)


def _comparison_operands(t: "Tensor", other: Any) -> "tuple[Tensor, Tensor] | None":
    """``t`` and ``other`` as two tensors of one dtype in which numpy would compare them
    (None: leave it to numpy on the host, e.g. a list or an int beyond int64)."""
    from .tensor import _promote
    T = _tensor_cls()
    if isinstance(other, T):
        return _promote(t, other, "compare")
    if not isinstance(other, _NUMBER):
        return None
    if isinstance(other, (float, np.floating)):
        dtype = t.dtype if t.dtype.kind == "f" else np.dtype(np.float64)
    elif t.dtype.kind == "f":
        dtype = t.dtype
    elif t.dtype.kind in "iu" and np.iinfo(t.dtype).min <= int(other) <= np.iinfo(t.dtype).max:
        dtype = t.dtype                   # the number fits: compare in place, exactly
    elif _I64.min <= int(other) <= _I64.max:
        dtype = np.dtype(np.int64)        # exact for every integer and bool value
    else:
        return None
    return t.to(dtype=dtype), T(other, dtype=dtype, device=t.device)


class OperatorMixin:
    """Arithmetic, comparison and in-place operators of :class:`Tensor`."""

    # ---- out-of-place arithmetic ----
    def _binary(self, other: Any, fn: type[Function], op: str, reverse: bool = False) -> "Tensor":
        from .tensor import _promote
        if op == "-" and (self.dtype == BOOL or isinstance(other, (bool, np.bool_)) or
                          getattr(other, "dtype", None) == BOOL):
            raise TypeError("-: subtraction with a bool tensor is not supported; to invert a "
                            "mask use ~, or cast with .long()")
        if isinstance(other, _NUMBER) and not isinstance(other, (bool, np.bool_)):
            target = scalar_result_type(self.dtype, other)
            if op == "/" and target.kind != "f":
                target = FLOAT32
            base = self.to(dtype=target)
            value = int(other) if target.kind in "iu" else float(other)
            return ew.ScalarOp.apply(base, op=op, value=value, reverse=reverse)
        a, b = _promote(self, _as_operand(other, self), op)
        if op == "/" and a.dtype.kind != "f":
            a, b = a.to(dtype=FLOAT32), b.to(dtype=FLOAT32)
        if a.dtype == BOOL and op in "+*" and fn is not ew.Pow:
            return mt.Bitwise.apply(a, b, op="|" if op == "+" else "&")
        return _apply_checked(fn, op, b, a) if reverse else _apply_checked(fn, op, a, b)

    def __add__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Add, "+")

    def __radd__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Add, "+", reverse=True)

    def __sub__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Sub, "-")

    def __rsub__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Sub, "-", reverse=True)

    def __mul__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Mul, "*")

    def __rmul__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Mul, "*", reverse=True)

    def __truediv__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Div, "/")

    def __rtruediv__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Div, "/", reverse=True)

    def __pow__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Pow, "**")

    def __rpow__(self, other: Any) -> "Tensor":
        return self._binary(other, ew.Pow, "**", reverse=True)

    def _floor_op(self, other: Any, fn: type[Function], op: str, reverse: bool) -> "Tensor":
        from .tensor import _promote
        a, b = _promote(self, _as_operand(other, self), op)
        if a.dtype == BOOL:
            a, b = a.long(), b.long()
        return _apply_checked(fn, op, b, a) if reverse else _apply_checked(fn, op, a, b)

    def __floordiv__(self, other: Any) -> "Tensor":
        return self._floor_op(other, mt.FloorDiv, "//", False)

    def __rfloordiv__(self, other: Any) -> "Tensor":
        return self._floor_op(other, mt.FloorDiv, "//", True)

    def __mod__(self, other: Any) -> "Tensor":
        return self._floor_op(other, mt.Mod, "%", False)

    def __rmod__(self, other: Any) -> "Tensor":
        return self._floor_op(other, mt.Mod, "%", True)

    def __neg__(self) -> "Tensor":
        if self.dtype == BOOL:
            raise TypeError("neg: negation of a bool tensor is not supported; use ~ instead")
        return ew.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return self.abs()

    def __matmul__(self, other: Any) -> "Tensor":
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _as_operand(other, self).matmul(self)

    # ---- comparisons and logic: not differentiable, bool results (computed on the host) ----
    def _compare(self, other: Any, ufunc: Any) -> "Tensor":
        op = _COMPARISONS.get(ufunc)
        pair = _comparison_operands(self, other) if op is not None else None
        if pair is not None:            # on the device, as numpy would compare on the host
            return Compare.apply(pair[0].detach(), pair[1].detach(), op=op)
        T = _tensor_cls()               # array-likes, ints beyond int64: numpy on the host
        rhs = other.numpy() if isinstance(other, T) else other
        return T(ufunc(self.numpy(), rhs), device=self.device)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__

    def _logical(self, other: Any, op: str) -> "Tensor":
        """``self OP other`` for op in ``& | ^`` on bool or integer tensors, with PyTorch's
        promotion (``bool & int`` is the integer dtype), computed where ``self`` lives."""
        from .tensor import _promote
        T = _tensor_cls()
        for t in (self, other):
            dt = t.dtype if isinstance(t, T) else np.asarray(t).dtype
            if dt.kind not in "biu":
                raise TypeError(f"{op}: bitwise/logical operators need bool or integer tensors, "
                                f"got {dt}")
        a, b = _promote(self, _as_operand(other, self), op)
        return mt.Bitwise.apply(a.detach(), b.detach(), op=op)

    def __and__(self, other: Any) -> "Tensor":
        return self._logical(other, "&")

    __rand__ = __and__

    def __or__(self, other: Any) -> "Tensor":
        return self._logical(other, "|")

    __ror__ = __or__

    def __xor__(self, other: Any) -> "Tensor":
        return self._logical(other, "^")

    __rxor__ = __xor__

    def __invert__(self) -> "Tensor":
        if self.dtype.kind not in "biu":
            raise TypeError(f"~: bitwise not needs a bool or integer tensor, got {self.dtype}")
        return mt.BitwiseNot.apply(self.detach())

    # ---- in-place updates ----
    def _inplace(self, op: str, compute: Callable[["Tensor"], "Tensor"]) -> "Tensor":
        """Replace this tensor's values by ``compute(self)``, in its storage and dtype.

        Under :func:`no_grad` (or with no gradient involved) the result is written straight
        into the storage; otherwise the update is recorded in the graph, and refused on a
        leaf that requires grad, as in PyTorch."""
        T = _tensor_cls()
        recording = is_grad_enabled()
        if recording and self.requires_grad and self._ctx is None:
            raise RuntimeError(f"{op}: a leaf tensor that requires grad is being used in an "
                               "in-place operation; update it inside no_grad() or use an "
                               "out-of-place op")
        be = get_backend(self.device)
        res = compute(self) if not (recording and self.requires_grad) else None
        if recording and (res is None or res.requires_grad):
            # the graph needs the old value as its own node (a copy: the storage changes)
            old = T._wrap(be.copy(self._array), self.device, self.requires_grad)
            old._ctx = self._ctx
            res = compute(old)
        if res.shape != self.shape:
            raise RuntimeError(f"{op}: the result has shape {res.shape} but the tensor updated "
                               f"in place has shape {self.shape} (it cannot grow by broadcasting)")
        if category(res.dtype) > category(self.dtype):
            raise RuntimeError(f"{op}: result type {res.dtype} can't be cast to the dtype "
                               f"{self.dtype} of the tensor updated in place")
        if res.dtype != self.dtype:
            res = res.to(dtype=self.dtype)
        if getattr(self._array, "flags", None) is not None and not self._array.flags.writeable:
            raise RuntimeError(f"{op}: this tensor is a broadcast (expanded) view; in-place "
                               "updates need their own storage: .clone() it first")
        be.assign(self._array, res._array)
        if recording and res.requires_grad:
            self._ctx, self.requires_grad = res._ctx, True
        elif recording and self._ctx is not None:     # overwritten by a constant
            self._ctx, self.requires_grad = None, False
        self._bump_version()
        return self

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        """``self += alpha * other`` in place."""
        return self._inplace("add_", lambda s: s + (other if alpha == 1 else other * alpha))

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        """``self -= alpha * other`` in place."""
        return self._inplace("sub_", lambda s: s - (other if alpha == 1 else other * alpha))

    def mul_(self, other: Any) -> "Tensor":
        """``self *= other`` in place."""
        return self._inplace("mul_", lambda s: s * other)

    def div_(self, other: Any) -> "Tensor":
        """``self /= other`` in place (an integer tensor refuses the float result)."""
        return self._inplace("div_", lambda s: s / other)

    def clamp_(self, min: float | None = None, max: float | None = None) -> "Tensor":  # noqa: A002
        """Clamp in place."""
        return self._inplace("clamp_", lambda s: s.clamp(min, max))

    def fill_(self, value: float) -> "Tensor":
        """Fill with ``value`` in place."""
        T = _tensor_cls()
        if isinstance(value, T) and value.ndim:
            raise ValueError(f"fill_: expected a number or a 0-d tensor, got shape {value.shape}")
        number = value.item() if isinstance(value, T) else value
        if not isinstance(number, _NUMBER):
            raise TypeError(f"fill_: expected a number, got {type(number).__name__}")
        from .creation import full
        return self._inplace("fill_", lambda s: full(self.shape, number, dtype=self.dtype,
                                                     device=self.device))

    def zero_(self) -> "Tensor":
        """Fill with zeros in place."""
        return self.fill_(0)

    def copy_(self, src: Any) -> "Tensor":
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
        src_t = _as_operand(src, self)
        if src_t.device != self.device:
            src_t = src_t.to(self.device)
        try:
            np.broadcast_shapes(src_t.shape, self.shape)
        except ValueError:
            raise ValueError(f"copy_: source of shape {src_t.shape} does not broadcast to "
                             f"{self.shape}") from None
        return self._inplace("copy_", lambda s: _copy_result(src_t, self))

    def __iadd__(self, other: Any) -> "Tensor":
        return self._inplace("+=", lambda s: s + other)

    def __isub__(self, other: Any) -> "Tensor":
        return self._inplace("-=", lambda s: s - other)

    def __imul__(self, other: Any) -> "Tensor":
        return self._inplace("*=", lambda s: s * other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._inplace("/=", lambda s: s / other)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` in place (differentiable for ``value`` when recorded)."""
        from .tensor import _host_index
        val = _as_operand(value, self)
        if val.dtype != self.dtype and category(val.dtype) > category(self.dtype):
            raise RuntimeError(f"setitem: cannot store {val.dtype} values in a {self.dtype} "
                               f"tensor of shape {self.shape}")
        T = _tensor_cls()
        if (isinstance(index, T) and index.dtype == BOOL and index.device == self.device and
                index.shape == self.shape[:index.ndim] and val.numel() == 1 and val.ndim <= 1):
            # x[mask] = number: a select on the device, no host copy of the mask
            mask = index.reshape(index.shape + (1,) * (self.ndim - index.ndim))
            fill = val.reshape(()).to(dtype=self.dtype)
            self._inplace("setitem", lambda s: mt.Where.apply(
                mask.to(dtype=self.dtype), fill, s) if self.dtype != BOOL else
                mt.Where.apply(mask, fill, s))
            return
        idx = _host_index(index)
        self._inplace("setitem", lambda s: mt.SetItem.apply(s, val.to(dtype=self.dtype),
                                                            index=idx))


def _apply_checked(fn: type[Function], op: str, a: "Tensor", b: "Tensor") -> "Tensor":
    """``fn.apply(a, b)``; a shape mismatch becomes one error naming the op, shapes, dtypes."""
    try:
        return fn.apply(a, b)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast "
                             f"(dtypes {a.dtype} and {b.dtype})") from None
        raise


def _copy_result(src: "Tensor", dst: "Tensor") -> "Tensor":
    out = src.to(dtype=dst.dtype) if src.dtype != dst.dtype else src
    if out.shape != dst.shape:
        out = out.expand(dst.shape)
    return out.clone() if out is src else out
