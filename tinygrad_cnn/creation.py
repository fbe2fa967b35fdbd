"""Tensor factories with PyTorch's names.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).shape
    (2, 3)
"""
from __future__ import annotations

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


def arange(start: int, stop: int | None = None, step: int = 1, dtype: Any = None,
           device: str = "cpu") -> Tensor:
    """Evenly spaced values, as ``np.arange``."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return Tensor(values, dtype=dtype, device=device)


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
    return Tensor(np.eye(n, m, dtype=dt), requires_grad, dt, device)


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
    return Tensor(np.linspace(start, end, steps), requires_grad, dt, device)


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
