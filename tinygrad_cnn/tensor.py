"""The ``Tensor``: an array on a device plus the autograd bookkeeping, with PyTorch's names.

The class is assembled from three parts: this module (storage, conversion, autograd entry
points), :mod:`._operators` (arithmetic, comparison and in-place operators) and
:mod:`._methods` / :mod:`._methods_extra` (math, reductions, shape and indexing methods).
The module itself is callable, so ``tinygrad_cnn.tensor(data)`` is the ``torch.tensor``-style
factory while ``from tinygrad_cnn.tensor import Tensor`` keeps working.

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

import sys
import types
from typing import Any, Sequence

import numpy as np

from ._methods import MethodMixin
from ._methods_extra import ExtraMethodMixin
from ._operators import OperatorMixin
from .autograd import Function, run_backward
from .backends import get_backend, normalize_device
from .dtypes import FLOAT_DTYPES, check_dtype, result_type
from .ops import elementwise as ew
from .ops import movement as mv

__all__ = ["Tensor", "tensor", "FLOAT_DTYPES"]


def _as_array(data: Any, dtype: Any, op: str = "Tensor", keep_dtype: bool = False) -> np.ndarray:
    """A host copy of ``data`` (never a view: like ``torch.tensor``, later in-place updates
    must not reach the caller's array). Without ``dtype``: floats become float32 and integers
    int64, unless ``keep_dtype`` (numpy arrays and scalars then keep theirs)."""
    try:
        arr = np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"{op}: cannot build a tensor from {type(data).__name__}: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: cannot hold data of dtype {arr.dtype}; expected numbers "
                        f"(float, int or bool)")
    if dtype is not None:
        return np.array(arr, dtype=check_dtype(dtype, op), order="C")
    native = isinstance(data, (np.ndarray, np.generic))
    if keep_dtype and native:
        return np.array(arr, dtype=check_dtype(arr.dtype, op), order="C")
    if arr.dtype.kind == "f":
        return np.array(arr, dtype=np.float32, order="C")
    if arr.dtype.kind in "iu":
        return np.array(arr, dtype=np.int64, order="C")
    return np.array(arr, order="C")


def normalize_axes(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """Sorted non-negative axes; a 0-d tensor accepts dim 0 and -1 (as in PyTorch).

    Example:
        >>> normalize_axes(-1, 3, "sum"), normalize_axes(None, 2, "mean")
        ((2,), (0, 1))
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int, got {d!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions "
                             f"(expected in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        if ndim:
            out.append(int(d) % ndim)
    return tuple(sorted(set(out)))


def _check_dim(dim: int, ndim: int, op: str, extra: int = 0) -> int:
    """One dimension index in ``[-(ndim+extra), ndim+extra)`` made non-negative."""
    n = max(ndim + extra, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected in [{-n}, {n - 1}])")
    return int(dim) % n


class Tensor(OperatorMixin, MethodMixin, ExtraMethodMixin):
    """A multi-dimensional array on ``device`` with reverse-mode autodiff.

    Float data becomes float32 unless ``dtype`` says otherwise; integer data (class labels)
    becomes int64. Use :func:`tinygrad_cnn.tensor` to keep a numpy array's dtype.

    Example:
        >>> x = Tensor(np.zeros((2, 3)), requires_grad=True)
        >>> x.shape, x.dtype
        ((2, 3), dtype('float32'))
    """

    __array_priority__ = 1000  # numpy operands defer to Tensor's reflected operators
    _graph_freed = False       # set on intermediate results once backward has freed their graph

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 device: str = "cpu", _keep_dtype: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.numpy()
        arr = _as_array(data, dtype, keep_dtype=_keep_dtype)
        self.device = normalize_device(device)
        self._array = get_backend(self.device).from_numpy(arr)
        self.grad: Tensor | None = None
        self._ctx: Function | None = None
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    @classmethod
    def _wrap(cls, data: Any, device: str, requires_grad: bool = False) -> "Tensor":
        """Wrap a backend array without copying it."""
        t = Tensor.__new__(Tensor)
        t._array, t.device, t.grad, t._ctx, t.requires_grad = data, device, None, None, requires_grad
        return t

    # ---- storage ----
    @property
    def data(self) -> "Tensor":
        """A detached tensor sharing this tensor's storage (assignable, as in PyTorch)."""
        return Tensor._wrap(self._array, self.device)

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            self._array, self.device = value._array, value.device
        elif isinstance(value, np.ndarray):   # a host array: checked, copied onto the device
            self._array = get_backend(self.device).from_numpy(
                _as_array(value, None, "data", keep_dtype=True))
        else:                                 # a backend array (internal callers)
            self._array = value

    # ---- properties ----
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self._array.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self._array.dtype)

    @property
    def ndim(self) -> int:
        return len(self._array.shape)

    def dim(self) -> int:
        """Number of dimensions."""
        return self.ndim

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or the length of one dimension (as ``torch.Tensor.size``)."""
        return self.shape if dim is None else self.shape[_check_dim(dim, self.ndim, "size")]

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
        return get_backend(self.device).to_numpy(self._array)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item(): the tensor has {self.numel()} elements, expected 1")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.numpy().tolist()

    def detach(self) -> "Tensor":
        """The same data without autograd history (sharing the version counter, so an
        in-place update through it is still seen by backward; ``.data`` does not share it)."""
        out = Tensor._wrap(self._array, self.device)
        out.__dict__["_vc"] = self.__dict__.setdefault("_vc", [0])
        return out

    @property
    def _version(self) -> int:
        """How many in-place updates this tensor's storage has had (PyTorch's ``_version``)."""
        vc = self.__dict__.get("_vc")
        return 0 if vc is None else vc[0]

    def _bump_version(self) -> None:
        self.__dict__.setdefault("_vc", [0])[0] += 1

    def to(self, device: str | None = None, dtype: Any = None) -> "Tensor":
        """Copy to ``device`` and/or cast to ``dtype`` (differentiable); a no-op when equal."""
        out = self
        if device is not None and normalize_device(device) != self.device:
            out = mv.ToDevice.apply(out, device=normalize_device(device))
        if dtype is not None and check_dtype(dtype, "to") != out.dtype:
            out = ew.Cast.apply(out, dtype=np.dtype(dtype))
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    # ---- autograd ----
    def backward(self, gradient: "Tensor | np.ndarray | None" = None,
                 retain_graph: bool = False, *, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``; the graph is freed unless
        ``retain_graph`` (``grad=`` is an alias of ``gradient``)."""
        gradient = grad if gradient is None else gradient
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph; "
                               "create the leaves with requires_grad=True")
        be = get_backend(self.device)
        if gradient is None:
            if self.numel() != 1:
                raise ValueError(f"backward(): the output has shape {self.shape}; a gradient can "
                                 f"be implied only for a one-element output: pass gradient=")
            g = be.full(self.shape, 1.0, self.dtype)
        else:
            g_arr = gradient._array if isinstance(gradient, Tensor) else be.from_numpy(
                np.asarray(gradient, dtype=self.dtype))
            if tuple(g_arr.shape) != self.shape:
                raise ValueError(f"backward(): gradient has shape {tuple(g_arr.shape)}, "
                                 f"expected {self.shape}")
            g = be.astype(g_arr, self.dtype) if g_arr.dtype != self.dtype else g_arr
        run_backward(self, g, retain_graph=retain_graph)

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

    def zero_grad(self) -> None:
        """Drop the accumulated gradient."""
        self.grad = None


def _promote(a: Tensor, b: Tensor, op: str = "op") -> tuple[Tensor, Tensor]:
    """Bring two tensors to one dtype with PyTorch's rule (see :mod:`tinygrad_cnn.dtypes`)."""
    if a.device != b.device:
        raise ValueError(f"{op}: tensors on different devices, {a.device} and {b.device}: move "
                         f"one with .to({a.device!r})")
    if a.dtype == b.dtype:
        return a, b
    target = result_type(a.dtype, b.dtype, a.ndim == 0, b.ndim == 0)
    return a.to(dtype=target), b.to(dtype=target)


def _flatten_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"expected integer sizes or dims, got {args}")
    return tuple(int(n) for n in args)


def _resolve_shape(shape: tuple[int, ...], numel: int, old: tuple[int, ...]) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or numel % known:
            raise ValueError(f"reshape: cannot reshape {old} ({numel} elements) into {shape}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) != numel:
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


def tensor(data: Any, dtype: Any = None, device: str = "cpu",
           requires_grad: bool = False) -> Tensor:
    """A new tensor copied from ``data`` with ``torch.tensor``'s dtype rule: Python floats give
    float32, Python ints int64, bools bool, and numpy arrays keep their dtype.

    Example:
        >>> import tinygrad_cnn as tg
        >>> tg.tensor(np.zeros(2)).dtype, tg.tensor([1, 2]).dtype, tg.tensor(1.5).dtype
        (dtype('float64'), dtype('int64'), dtype('float32'))
    """
    if isinstance(data, Tensor):
        return Tensor(data.numpy(), requires_grad, dtype if dtype is not None else data.dtype,
                      device)
    return Tensor(data, requires_grad, dtype, device, _keep_dtype=True)


class _CallableModule(types.ModuleType):
    """Lets ``tinygrad_cnn.tensor(...)`` call :func:`tensor` although it names this module."""

    def __call__(self, data: Any, dtype: Any = None, device: str = "cpu",
                 requires_grad: bool = False) -> Tensor:
        return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


sys.modules[__name__].__class__ = _CallableModule
