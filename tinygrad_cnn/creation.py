"""Tensor factories with PyTorch's names.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).shape
    (2, 3)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .random import generator
from .tensor import Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dims = tuple(int(n) for n in shape)
    if any(n < 0 for n in dims):
        raise ValueError(f"negative dimension in shape {dims}")
    return dims


def zeros(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return Tensor(np.zeros(_shape(shape), dtype), requires_grad, dtype, device)


def ones(*shape: int | Sequence[int], dtype: Any = np.float32, device: str = "cpu",
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), dtype), requires_grad, dtype, device)


def full(shape: Sequence[int], value: float, dtype: Any = np.float32, device: str = "cpu",
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``value``."""
    return Tensor(np.full(_shape((shape,)), value, dtype), requires_grad, dtype, device)


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
