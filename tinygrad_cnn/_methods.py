"""Tensor methods: unary math, reductions, shape changes and matmul.

Mixed into :class:`tinygrad_cnn.Tensor`.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.Tensor([[3.0, 1.0], [0.0, 2.0]]).max(1).indices.tolist()
    [0, 1]
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import numpy as np

from .dtypes import BOOL, FLOAT32, FLOAT_DTYPES, INT64
from .ops import elementwise as ew
from .ops import math as mt
from .ops import movement as mv
from .ops import reduce as rd
from .ops.matmul import MatMul

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return (as ``torch.return_types``)."""

    values: "Tensor"
    indices: "Tensor"


def _float_input(t: "Tensor", op: str) -> "Tensor":
    """Integer and bool inputs of float functions become float32, as in PyTorch."""
    return t if t.dtype in FLOAT_DTYPES else t.to(dtype=FLOAT32)


class MethodMixin:
    """Math, reduction and shape methods of :class:`Tensor`."""

    # ---- unary math (integer/bool inputs become float32) ----
    def exp(self) -> "Tensor":
        return ew.Exp.apply(_float_input(self, "exp"))

    def log(self) -> "Tensor":
        return ew.Log.apply(_float_input(self, "log"))

    def sqrt(self) -> "Tensor":
        return ew.Sqrt.apply(_float_input(self, "sqrt"))

    def sigmoid(self) -> "Tensor":
        return ew.Sigmoid.apply(_float_input(self, "sigmoid"))

    def tanh(self) -> "Tensor":
        return ew.Tanh.apply(_float_input(self, "tanh"))

    def relu(self) -> "Tensor":
        if self.dtype == BOOL:
            raise TypeError("relu: not implemented for bool tensors; cast with .float() first")
        if self.dtype not in FLOAT_DTYPES:
            return self.clamp(min=0)
        return ew.Relu.apply(self)

    def maximum(self, other: "Tensor | float") -> "Tensor":
        """Elementwise maximum (ties share the gradient)."""
        from .tensor import Tensor, _promote
        if not isinstance(other, Tensor):
            other = Tensor(other, device=self.device, dtype=self.dtype
                           if self.dtype.kind == "f" or isinstance(other, (int, np.integer))
                           else FLOAT32)
        return ew.Maximum.apply(*_promote(self, other, "maximum"))

    def minimum(self, other: "Tensor | float") -> "Tensor":
        """Elementwise minimum (ties share the gradient)."""
        from .tensor import Tensor
        other = other if isinstance(other, Tensor) else Tensor(other, device=self.device,
                                                                dtype=self.dtype)
        return -((-self).maximum(-other))

    def clamp_min(self, value: float) -> "Tensor":
        return self.clamp(min=value)

    def clamp_max(self, value: float) -> "Tensor":
        return self.clamp(max=value)

    def clamp(self, min: float | None = None, max: float | None = None) -> "Tensor":  # noqa: A002
        """Limit to ``[min, max]``; the gradient is 1 inside (bounds included), 0 outside."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if self.dtype == BOOL:
            raise TypeError("clamp: not implemented for bool tensors")
        base = self
        if any(isinstance(v, float) for v in (min, max)) and self.dtype.kind != "f":
            base = self.to(dtype=FLOAT32)
        cast = (lambda v: v if v is None else (float(v) if base.dtype.kind == "f" else int(v)))
        return mt.Clamp.apply(base, lo=cast(min), hi=cast(max))

    clip = clamp

    # ---- reductions ----
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False,
            dtype: Any = None) -> "Tensor":
        """Sum over ``dim`` (all dimensions when None); bool and integer sums are int64."""
        from .tensor import normalize_axes
        base = self.to(dtype=dtype) if dtype is not None else (
            self.to(dtype=INT64) if self.dtype.kind in "biu" and self.dtype != INT64 else self)
        axes = normalize_axes(dim, self.ndim, "sum")
        return rd.Sum.apply(base, axes=axes, keepdim=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Mean over ``dim`` (all dimensions when None); NaN over no elements, as PyTorch."""
        from .tensor import normalize_axes
        axes = normalize_axes(dim, self.ndim, "mean")
        count = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        base = _float_input(self, "mean")
        return rd.Sum.apply(base, axes=axes, keepdim=keepdim) * (1.0 / count if count
                                                                  else math.nan)

    def _check_reduce(self, axes: tuple[int, ...], op: str) -> None:
        empty = [a for a in axes if self.shape[a] == 0]
        if empty or (self.numel() == 0 and self.ndim == 0):
            raise IndexError(f"{op}(): expected reduction dim {empty[0] if empty else 0} to have "
                             f"non-zero size, got shape {self.shape}")

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Maximum over ``dim`` (tied maxima share the gradient evenly)."""
        from .tensor import normalize_axes
        axes = normalize_axes(dim, self.ndim, "amax")
        self._check_reduce(axes, "amax")
        return rd.Max.apply(self, axes=axes, keepdim=keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Minimum over ``dim`` (tied minima share the gradient evenly)."""
        if self.dtype == BOOL:
            return (~self).amax(dim, keepdim).__invert__()
        return -((-self).amax(dim, keepdim))

    def max(self, dim: "int | Tensor | None" = None, keepdim: bool = False) -> Any:
        """The maximum: a value without ``dim``, ``(values, indices)`` over ``dim`` (the
        gradient goes to the returned index), the elementwise maximum for a tensor."""
        from .tensor import Tensor
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"max(): the tensor of shape {self.shape} is empty; give dim")
            return self.amax(None, keepdim)
        if isinstance(dim, (tuple, list)):      # several dims: values only (as amax)
            return self.amax(dim, keepdim)
        idx = self.argmax(dim, keepdim=True)
        return ValuesIndices(self._pick(idx, dim, keepdim), idx if keepdim else idx.squeeze(dim))

    def min(self, dim: "int | Tensor | None" = None, keepdim: bool = False) -> Any:
        """The minimum, with the same forms as :meth:`max`."""
        from .tensor import Tensor
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"min(): the tensor of shape {self.shape} is empty; give dim")
            return self.amin(None, keepdim)
        if isinstance(dim, (tuple, list)):      # several dims: values only (as amin)
            return self.amin(dim, keepdim)
        idx = self.argmin(dim, keepdim=True)
        return ValuesIndices(self._pick(idx, dim, keepdim), idx if keepdim else idx.squeeze(dim))

    def _pick(self, idx: "Tensor", dim: int, keepdim: bool) -> "Tensor":
        out = self.gather(dim, idx) if self.ndim else self
        return out if keepdim or not self.ndim else out.squeeze(dim)

    def _arg(self, largest: bool, dim: int | None, keepdim: bool, op: str) -> "Tensor":
        from .ops.select import ArgReduce
        from .tensor import Tensor, _check_dim
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{op}(): the tensor of shape {self.shape} is empty")
            out = ArgReduce.apply(self.detach().reshape(-1), axis=0, largest=largest)
            return out.reshape((1,) * self.ndim) if keepdim else out
        d = _check_dim(dim, self.ndim, op)
        if self.ndim == 0:
            return Tensor(np.zeros((), np.int64), device=self.device)
        self._check_reduce((d,), op)
        out = ArgReduce.apply(self.detach(), axis=d, largest=largest)
        return out.unsqueeze(d) if keepdim else out

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the maximum (the first one; not differentiable)."""
        return self._arg(True, dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the minimum (the first one; not differentiable)."""
        return self._arg(False, dim, keepdim, "argmin")

    def var(self, dim: int | Sequence[int] | None = None, keepdim: bool = False,
            unbiased: bool = True, correction: int | None = None) -> "Tensor":
        """Variance over ``dim`` (Bessel-corrected unless ``unbiased=False``)."""
        from .tensor import normalize_axes
        axes = normalize_axes(dim, self.ndim, "var")
        x = _float_input(self, "var")
        count = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        centred = x - x.mean(axes, keepdim=True)
        dof = count - (int(unbiased) if correction is None else int(correction))
        return (centred * centred).sum(axes, keepdim=keepdim) * (1.0 / dof if dof > 0 else math.nan)

    def std(self, dim: int | Sequence[int] | None = None, keepdim: bool = False,
            unbiased: bool = True, correction: int | None = None) -> "Tensor":
        """Standard deviation over ``dim``."""
        return self.var(dim, keepdim, unbiased, correction).sqrt()

    # ---- shape ----
    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        """A tensor with the same data and a new shape; one dimension may be -1."""
        from .tensor import _flatten_args, _resolve_shape
        new = _resolve_shape(_flatten_args(shape), self.numel(), self.shape)
        return self if new == self.shape else mv.Reshape.apply(self, shape=new)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dimensions ``start_dim..end_dim`` into one."""
        from .tensor import _check_dim
        if self.ndim == 0:
            _check_dim(start_dim, 0, "flatten")
            _check_dim(end_dim, 0, "flatten")
            return self.reshape(1)
        s, e = _check_dim(start_dim, self.ndim, "flatten"), _check_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for "
                             f"shape {self.shape}")
        merged = int(np.prod(self.shape[s:e + 1], dtype=np.int64))
        return self.reshape(self.shape[:s] + (merged,) + self.shape[e + 1:])

    def permute(self, *dims: int | Sequence[int]) -> "Tensor":
        """Reorder the dimensions."""
        from .tensor import _check_dim, _flatten_args
        axes = tuple(_check_dim(d, self.ndim, "permute") for d in _flatten_args(dims))
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {tuple(_flatten_args(dims))} is not a permutation of the "
                             f"{self.ndim} dimensions of shape {self.shape}")
        return mv.Permute.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        """Swap two dimensions."""
        from .tensor import _check_dim
        if self.ndim == 0:
            _check_dim(dim0, 0, "transpose")
            _check_dim(dim1, 0, "transpose")
            return self
        axes = list(range(self.ndim))
        d0, d1 = _check_dim(dim0, self.ndim, "transpose"), _check_dim(dim1, self.ndim, "transpose")
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return self.permute(axes)

    @property
    def T(self) -> "Tensor":
        return self.permute(tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int) -> "Tensor":
        from .tensor import _check_dim
        dim = _check_dim(dim, self.ndim, "unsqueeze", extra=1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        from .tensor import _check_dim
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = _check_dim(dim, self.ndim, "squeeze")
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def expand(self, *shape: int | Sequence[int]) -> "Tensor":
        """Broadcast to ``shape`` (-1 keeps a dimension)."""
        from .tensor import _flatten_args
        target = list(_flatten_args(shape))
        lead = len(target) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: the target {tuple(target)} has fewer dimensions than "
                             f"the tensor's shape {self.shape}")
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(target))
        try:
            np.broadcast_shapes(self.shape, full)
            if np.broadcast_shapes(self.shape, full) != full:
                raise ValueError
        except ValueError:
            raise ValueError(f"expand: cannot broadcast shape {self.shape} to {full}") from None
        return self if full == self.shape else mv.Expand.apply(self, shape=full)

    def pad(self, pads: Sequence[tuple[int, int]], value: float = 0.0) -> "Tensor":
        """Constant padding with one ``(before, after)`` pair per dimension."""
        pairs = tuple((int(a), int(b)) for a, b in pads)
        if len(pairs) != self.ndim or any(a < 0 or b < 0 for a, b in pairs):
            raise ValueError(f"pad: expected {self.ndim} non-negative (before, after) pairs for "
                             f"shape {self.shape}, got {pairs}")
        return mv.Pad.apply(self, pads=pairs, value=float(value))

    def matmul(self, other: Any) -> "Tensor":
        """Matrix product with numpy's rules for 1-D and batched operands."""
        from .tensor import Tensor, _promote
        other = other if isinstance(other, Tensor) else Tensor(other, device=self.device)
        a, b = _promote(self, other, "matmul")
        if a.dtype not in FLOAT_DTYPES:
            raise TypeError(f"matmul: needs float32/float64 operands, got {self.dtype} and "
                            f"{other.dtype} (shapes {self.shape} and {other.shape})")
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension, got shapes "
                             f"{a.shape} and {b.shape}")
        squeeze_a, squeeze_b = a.ndim == 1, b.ndim == 1
        a2 = a.reshape(1, -1) if squeeze_a else a
        b2 = b.reshape(-1, 1) if squeeze_b else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape} "
                             f"({a2.shape[-1]} != {b2.shape[-2]})")
        try:
            batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not "
                             "broadcast") from None
        if a2.numel() == 0 or b2.numel() == 0:
            shape = tuple(batch) + (a2.shape[-2], b2.shape[-1])
            out = mt.EmptyResult.apply(a2, b2, shape=shape, dtype=a.dtype)
        else:
            out = MatMul.apply(a2, b2)
        if squeeze_a:
            out = out.squeeze(-2)
        if squeeze_b:
            out = out.squeeze(-1)
        return out
