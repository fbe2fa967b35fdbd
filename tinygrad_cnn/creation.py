"""Tensor factories with PyTorch's names.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).shape
    (2, 3)
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .backends import get_backend, normalize_device
from .dtypes import check_dtype
from .random import generator
from .tensor import Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"size must be a sequence of ints, got {tuple(shape)} (an entry of "
                            f"type {type(n).__name__})")
    dims = tuple(int(n) for n in shape)
    if any(n < 0 for n in dims):
        raise ValueError(f"negative dimension in shape {dims}")
    return dims


def zeros(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _filled(_shape(shape), 0, dtype, device, requires_grad, "zeros")


def ones(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled(_shape(shape), 1, dtype, device, requires_grad, "ones")


def full(shape: Sequence[int], value: float, dtype: Any = np.float32, device: str = "cpu",
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``value``."""
    return _filled(_shape((shape,)), value, dtype, device, requires_grad, "full")


def randn(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (see :func:`manual_seed`)."""
    data = generator().standard_normal(_shape(shape))
    return Tensor(data, requires_grad, dtype, device)


def rand(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    return Tensor(generator().random(_shape(shape)), requires_grad, dtype, device)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           device: str = "cpu") -> Tensor:
    """Evenly spaced values, as ``np.arange`` (length and values alike), made on ``device``.

    Integer arguments give int64, a float argument float32 unless ``dtype`` says otherwise;
    floats are computed in float64 as numpy does (``start + i * delta``) and rounded once.

    Example:
        >>> arange(3).tolist(), arange(1, 2, 0.25).tolist(), arange(4, 0, -2).dtype
        ([0, 1, 2], [1.0, 1.25, 1.5, 1.75], dtype('int64'))
    """
    if stop is None:
        start, stop = 0, start
    for name, v in (("start", start), ("end", stop), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    natural = np.result_type(start, stop, step)          # numpy's arange dtype
    n = max(0, math.ceil((stop - start) / step))          # numpy's length rule
    name = normalize_device(device)
    be = get_backend(name)
    if natural.kind in "iu":
        i64 = np.dtype(np.int64)
        out = be.scalar_op(be.scalar_op(be.arange(n, i64), "*", int(step)), "+", int(start))
        final = natural if dtype is None else check_dtype(dtype, "arange")
    else:
        out = _affine(be, n, float(start), float(start) + float(step))
        final = np.dtype(np.float32) if dtype is None else check_dtype(dtype, "arange")
    return Tensor._wrap(out if out.dtype == final else be.astype(out, final), name)


def _affine(be: Any, n: int, first: float, second: float) -> Any:
    """numpy's float64 arange fill: ``first, second, first + i * (second - first)...`` (the
    product and the sum in two launches, so no fused multiply-add can change a rounding)."""
    f64 = np.dtype(np.float64)
    out = be.scalar_op(be.scalar_op(be.arange(n, f64), "*", second - first), "+", first)
    if n > 1:
        be.setitem(out, (1,), be.full((), second, f64))
    return out


def zeros_like(input: Tensor, dtype: Any = None, device: str | None = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype and device) of ``input``."""
    return full_like(input, 0, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: str | None = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype and device) of ``input``."""
    return full_like(input, 1, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: float, dtype: Any = None, device: str | None = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape (and by default dtype, device) of ``input``.

    Example:
        >>> full_like(zeros(2, dtype="float64"), 7).tolist()
        [7.0, 7.0]
    """
    return _filled(input.shape, fill_value, dtype if dtype is not None else input.dtype,
                   device or input.device, requires_grad, "full_like")


def eye(n: int, m: int | None = None, dtype: Any = np.float32, device: str = "cpu",
        requires_grad: bool = False) -> Tensor:
    """The ``n`` by ``m`` identity matrix.

    Example:
        >>> eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    n, m = _int_arg(n, "eye", "n"), _int_arg(n if m is None else m, "eye", "m")
    dt = check_dtype(dtype, "eye")
    name = normalize_device(device)
    be = get_backend(name)
    i64 = np.dtype(np.int64)
    rows, cols = be.reshape(be.arange(n, i64), (n, 1)), be.reshape(be.arange(m, i64), (1, m))
    same = be.compare(rows, cols, "==")
    out = Tensor._wrap(same if dt == np.bool_ else be.astype(same, dt), name)
    return out.requires_grad_(requires_grad) if requires_grad else out


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor with the array's dtype and values (a copy: numpy arrays are not pinned).

    Example:
        >>> from_numpy(np.arange(3)).dtype
        dtype('int64')
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor(array, dtype=check_dtype(array.dtype, "from_numpy"))


def linspace(start: float, end: float, steps: int, dtype: Any = np.float32,
             device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example:
        >>> linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    steps = _int_arg(steps, "linspace", "steps")
    dt = check_dtype(dtype, "linspace")
    name = normalize_device(device)
    be = get_backend(name)
    out = _linspace(be, float(start), float(end), steps)
    out = Tensor._wrap(out if out.dtype == dt else be.astype(out, dt), name)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _linspace(be: Any, start: float, end: float, steps: int) -> Any:
    """``np.linspace(start, end, steps)`` in float64, step by step as numpy computes it."""
    f64 = np.dtype(np.float64)
    y, div, delta = be.arange(steps, f64), steps - 1, end - start
    if div > 0 and delta / div == 0:                      # denormal step: divide first
        y = be.scalar_op(be.scalar_op(y, "/", float(div)), "*", delta)
    else:
        y = be.scalar_op(y, "*", delta / div if div > 0 else delta)
    y = be.scalar_op(y, "+", start)
    if steps > 1:
        be.setitem(y, (steps - 1,), be.full((), end, f64))
    return y


def _filled(shape: tuple[int, ...], value: Any, dtype: Any, device: str, requires_grad: bool,
            op: str) -> Tensor:
    """A new tensor of ``shape`` filled with ``value``, made by the device's own kernel (no
    host array is uploaded)."""
    dt = check_dtype(np.float32 if dtype is None else dtype, op)
    name = normalize_device(device)
    be = get_backend(name)
    arr = be.zeros(tuple(shape), dt) if isinstance(value, (int, float)) and value == 0 else \
        be.full(tuple(shape), value, dt)
    out = Tensor._wrap(arr, name)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _int_arg(value: Any, op: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value}")
    return int(value)
