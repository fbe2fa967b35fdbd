"""The ``Tensor``: an array on a device plus the autograd bookkeeping, with PyTorch's names.

Example:
    >>> from tinygrad_cnn import Tensor
    >>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> loss = (w @ Tensor([1.0, 1.0])).relu().sum()
    >>> loss.backward()
    >>> w.grad.numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .autograd import Function, run_backward
from .backends import get_backend, normalize_device
from .ops import elementwise as ew
from .ops import movement as mv
from .ops import reduce as rd
from .ops.matmul import MatMul

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """A host copy of ``data`` (never a view: like ``torch.tensor``, later in-place updates
    must not reach the caller's array); floats become float32 and integers int64 unless
    ``dtype`` is given."""
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype), order="C")
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        return np.array(arr, dtype=np.float32, order="C")
    if arr.dtype.kind in "iu":
        return np.array(arr, dtype=np.int64, order="C")
    if arr.dtype.kind == "b":
        return np.array(arr, order="C")
    raise TypeError(f"Tensor: cannot hold data of dtype {arr.dtype}; expected numbers "
                    f"(float, int or bool)")


def _normalize_axes(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions")
        out.append(int(d) % max(ndim, 1))
    return tuple(sorted(set(out)))


class Tensor:
    """A multi-dimensional array on ``device`` with reverse-mode autodiff.

    Float data becomes float32 unless ``dtype`` says otherwise; integer data (class labels)
    becomes int64.

    Example:
        >>> x = Tensor(np.zeros((2, 3)), requires_grad=True)
        >>> x.shape, x.dtype
        ((2, 3), dtype('float32'))
    """

    __array_priority__ = 1000  # numpy operands defer to Tensor's reflected operators
    _graph_freed = False       # set on intermediate results once backward has freed their graph

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 device: str = "cpu") -> None:
        if isinstance(data, Tensor):
            data = data.numpy()
        arr = _as_array(data, dtype)
        self.device = normalize_device(device)
        self.data = get_backend(self.device).from_numpy(arr)
        self.grad: Tensor | None = None
        self._ctx: Function | None = None
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    @classmethod
    def _wrap(cls, data: Any, device: str, requires_grad: bool = False) -> "Tensor":
        """Wrap a backend array without copying it."""
        t = cls.__new__(cls)
        t.data, t.device, t.grad, t._ctx, t.requires_grad = data, device, None, None, requires_grad
        return t

    # ---- properties ----
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.data.dtype)

    @property
    def ndim(self) -> int:
        return len(self.data.shape)

    def dim(self) -> int:
        """Number of dimensions."""
        return self.ndim

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or the length of one dimension (as ``torch.Tensor.size``)."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark this leaf as needing a gradient (float tensors only)."""
        if requires_grad and self.dtype not in FLOAT_DTYPES:
            raise TypeError(f"requires_grad: only float32/float64 tensors can require gradients, "
                            f"got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    # ---- conversion ----
    def numpy(self) -> np.ndarray:
        """The data as a numpy array on the host (a copy for non-CPU devices)."""
        return get_backend(self.device).to_numpy(self.data)

    def item(self) -> float | int:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item(): the tensor has {self.numel()} elements, expected 1")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.numpy().tolist()

    def detach(self) -> "Tensor":
        """The same data without autograd history."""
        return Tensor._wrap(self.data, self.device)

    def to(self, device: str | None = None, dtype: Any = None) -> "Tensor":
        """Copy to ``device`` and/or cast to ``dtype`` (differentiable); a no-op when equal."""
        out = self
        if device is not None and normalize_device(device) != self.device:
            out = mv.ToDevice.apply(out, device=normalize_device(device))
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = ew.Cast.apply(out, dtype=np.dtype(dtype))
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def float(self) -> "Tensor":
        return self.to(dtype=np.float32)

    def double(self) -> "Tensor":
        return self.to(dtype=np.float64)

    def zero_(self) -> "Tensor":
        """Fill with zeros in place (no autograd record)."""
        self.data = get_backend(self.device).zeros(self.shape, self.dtype)
        return self

    # ---- autograd ----
    def backward(self, grad: "Tensor | np.ndarray | None" = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``, then free the graph."""
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph; "
                               "create the leaves with requires_grad=True")
        be = get_backend(self.device)
        if grad is None:
            if self.numel() != 1:
                raise ValueError(f"backward(): the output has shape {self.shape}; a gradient can be "
                                 f"implied only for a one-element output: pass grad=")
            g = be.full(self.shape, 1.0, self.dtype)
        else:
            g_arr = grad.data if isinstance(grad, Tensor) else be.from_numpy(
                np.asarray(grad, dtype=self.dtype))
            if tuple(g_arr.shape) != self.shape:
                raise ValueError(f"backward(): grad has shape {tuple(g_arr.shape)}, expected "
                                 f"{self.shape}")
            g = be.astype(g_arr, self.dtype) if g_arr.dtype != self.dtype else g_arr
        run_backward(self, g)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` each time ``backward()`` has accumulated this leaf's ``.grad``
        (PyTorch's name; data-parallel training uses it to reduce gradients as they arrive).
        Returns a handle whose ``remove()`` unregisters the hook.

        Example:
            >>> w = Tensor([1.0], requires_grad=True)
            >>> handle = w.register_post_accumulate_grad_hook(lambda t: print(t.grad.numpy()))
            >>> (w * 3).sum().backward()
            [3.]
            >>> handle.remove()
        """
        if not self.is_leaf:
            raise RuntimeError("register_post_accumulate_grad_hook: only leaf tensors "
                               "accumulate gradients")
        hooks = self.__dict__.setdefault("_grad_hooks", {})
        key = max(hooks, default=-1) + 1
        hooks[key] = hook
        return _HookHandle(hooks, key)

    # ---- operand coercion ----
    def _binary(self, other: Any, fn: type[Function], op: str, reverse: bool = False) -> "Tensor":
        if isinstance(other, Tensor):
            a, b = _promote(self, other)
            return fn.apply(b, a) if reverse else fn.apply(a, b)
        if isinstance(other, (int, float, np.integer, np.floating)) and not isinstance(other, bool):
            # integer tensors stay integer only for + - * ** by an int, as in PyTorch
            keep = self.dtype in FLOAT_DTYPES or (isinstance(other, (int, np.integer))
                                                  and op in ("+", "-", "*", "**"))
            base = self if keep else self.float()
            return ew.ScalarOp.apply(base, op=op, value=float(other), reverse=reverse)
        other_t = Tensor(other, device=self.device)
        return self._binary(other_t, fn, op, reverse)

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

    def __neg__(self) -> "Tensor":
        return ew.Neg.apply(self)

    def __matmul__(self, other: Any) -> "Tensor":
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return Tensor(other, device=self.device).matmul(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return mv.GetItem.apply(self, index=_host_index(index))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        dev = f", device='{self.device}'" if self.device != "cpu" else ""
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}{dev}, dtype={self.dtype}{grad})"

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # comparisons are not differentiable: they give bool tensors (host-computed)
    def _compare(self, other: Any, ufunc: Any) -> "Tensor":
        rhs = other.numpy() if isinstance(other, Tensor) else other
        return Tensor(ufunc(self.numpy(), rhs), device=self.device)

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

    # ---- unary math ----
    def exp(self) -> "Tensor":
        return ew.Exp.apply(self)

    def log(self) -> "Tensor":
        return ew.Log.apply(self)

    def sqrt(self) -> "Tensor":
        return ew.Sqrt.apply(self)

    def relu(self) -> "Tensor":
        return ew.Relu.apply(self)

    def sigmoid(self) -> "Tensor":
        return ew.Sigmoid.apply(self)

    def tanh(self) -> "Tensor":
        return ew.Tanh.apply(self)

    def maximum(self, other: "Tensor | float") -> "Tensor":
        """Elementwise maximum (ties share the gradient)."""
        if isinstance(other, Tensor):
            return ew.Maximum.apply(*_promote(self, other))
        return ew.ScalarOp.apply(self, op="max", value=float(other))

    def clamp_min(self, value: float) -> "Tensor":
        return self.maximum(value)

    # ---- reductions ----
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Sum over ``dim`` (all dimensions when None)."""
        return rd.Sum.apply(self, axes=_normalize_axes(dim, self.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Mean over ``dim`` (all dimensions when None)."""
        axes = _normalize_axes(dim, self.ndim, "mean")
        count = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        base = self if self.dtype in FLOAT_DTYPES else self.float()
        return rd.Sum.apply(base, axes=axes, keepdim=keepdim) * (1.0 / max(count, 1))

    def max(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Maximum over ``dim`` (values only; tied maxima share the gradient)."""
        if self.numel() == 0:
            raise ValueError(f"max(): the tensor of shape {self.shape} is empty")
        return rd.Max.apply(self, axes=_normalize_axes(dim, self.ndim, "max"), keepdim=keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the maximum (not differentiable)."""
        arr = self.numpy()
        out = np.argmax(arr.reshape(-1)) if dim is None else np.argmax(arr, axis=dim)
        if keepdim and dim is not None:
            out = np.expand_dims(out, dim)
        return Tensor(np.asarray(out, dtype=np.int64), device=self.device)

    def var(self, dim: int | Sequence[int] | None = None, keepdim: bool = False,
            unbiased: bool = True) -> "Tensor":
        """Variance over ``dim`` (Bessel-corrected unless ``unbiased=False``)."""
        axes = _normalize_axes(dim, self.ndim, "var")
        count = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        centred = self - self.mean(axes, keepdim=True)
        dof = count - int(unbiased)          # no degrees of freedom: NaN, as in PyTorch
        return (centred * centred).sum(axes, keepdim=keepdim) * (1.0 / dof if dof > 0 else math.nan)

    # ---- shape ----
    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        """A tensor with the same data and a new shape; one dimension may be -1."""
        new = _resolve_shape(_flatten_args(shape), self.numel(), self.shape)
        return self if new == self.shape else mv.Reshape.apply(self, shape=new)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dimensions ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        merged = int(np.prod(self.shape[s:e + 1], dtype=np.int64))
        return self.reshape(self.shape[:s] + (merged,) + self.shape[e + 1:])

    def permute(self, *dims: int | Sequence[int]) -> "Tensor":
        """Reorder the dimensions."""
        axes = tuple(d % self.ndim for d in _flatten_args(dims))
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {tuple(_flatten_args(dims))} is not a permutation of the "
                             f"{self.ndim} dimensions of shape {self.shape}")
        return mv.Permute.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        """Swap two dimensions."""
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(axes)

    @property
    def T(self) -> "Tensor":
        return self.permute(tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int) -> "Tensor":
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = dim % self.ndim
        if self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def expand(self, *shape: int | Sequence[int]) -> "Tensor":
        """Broadcast to ``shape`` (-1 keeps a dimension)."""
        target = list(_flatten_args(shape))
        lead = len(target) - self.ndim
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(target))
        try:
            np.broadcast_shapes(self.shape, full)
        except ValueError:
            raise ValueError(f"expand: cannot broadcast shape {self.shape} to {full}") from None
        return mv.Expand.apply(self, shape=full)

    def pad(self, pads: Sequence[tuple[int, int]], value: float = 0.0) -> "Tensor":
        """Constant padding with one ``(before, after)`` pair per dimension."""
        pairs = tuple((int(a), int(b)) for a, b in pads)
        if len(pairs) != self.ndim or any(a < 0 or b < 0 for a, b in pairs):
            raise ValueError(f"pad: expected {self.ndim} non-negative (before, after) pairs for "
                             f"shape {self.shape}, got {pairs}")
        return mv.Pad.apply(self, pads=pairs, value=float(value))

    def matmul(self, other: Any) -> "Tensor":
        """Matrix product with numpy's rules for 1-D and batched operands."""
        other = other if isinstance(other, Tensor) else Tensor(other, device=self.device)
        a, b = _promote(self, other)
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
            np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not "
                             "broadcast") from None
        out = MatMul.apply(a2, b2)
        if squeeze_a:
            out = out.squeeze(-2)
        if squeeze_b:
            out = out.squeeze(-1)
        return out

    # ---- helpers used by optimizers ----
    def zero_grad(self) -> None:
        """Drop the accumulated gradient."""
        self.grad = None


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Bring two tensors to one dtype with PyTorch's rule (floats win over ints)."""
    if a.device != b.device:
        raise ValueError(f"tensors on different devices, {a.device} and {b.device}: move one "
                         f"with .to({a.device!r})")
    if a.dtype == b.dtype:
        if a.dtype not in FLOAT_DTYPES:
            return a.float(), b.float()
        return a, b
    floats = [t.dtype for t in (a, b) if t.dtype in FLOAT_DTYPES]
    target = max(floats, key=lambda d: d.itemsize) if floats else np.dtype(np.float32)
    return a.to(dtype=target), b.to(dtype=target)


def _flatten_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(n) for n in args[0])
    return tuple(int(n) for n in args)


def _resolve_shape(shape: tuple[int, ...], numel: int, old: tuple[int, ...]) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or numel % known:
            raise ValueError(f"reshape: cannot reshape {old} ({numel} elements) into {shape}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if int(np.prod(shape, dtype=np.int64)) != numel:
        raise ValueError(f"reshape: cannot reshape {old} ({numel} elements) into {shape}")
    return shape


def _host_index(index: Any) -> Any:
    """Turn Tensor indices into host arrays so the index can be replayed in backward."""
    if isinstance(index, Tensor):
        return index.numpy()
    if isinstance(index, tuple):
        return tuple(_host_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


class _HookHandle:
    """Removes one hook registered by :meth:`Tensor.register_post_accumulate_grad_hook`."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)
