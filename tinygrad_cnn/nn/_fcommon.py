"""Argument checks shared by the functions of :mod:`tinygrad_cnn.nn.functional`: each raises a
``ValueError`` or ``TypeError`` naming the op, the shapes received and what was expected.

Example:
    >>> _pair(3, "kernel_size", "conv2d", 1)
    (3, 3)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..backends._geometry import out_size as _out_size  # noqa: F401 (nn's name for it)
from ..tensor import FLOAT_DTYPES, Tensor

IntPair = int | Sequence[int]


def _pair(value: IntPair, name: str, op: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_float(x: Tensor, op: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {x.dtype}")


def _check_ndim(x: Tensor, ndims: tuple[int, ...], op: str, layout: str) -> None:
    if x.ndim not in ndims:
        raise ValueError(f"{op}: expected a {layout} input, got shape {x.shape}")


def _same_dtype(op: str, x: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{op}: input is {x.dtype} but a parameter is {t.dtype}; "
                            f"convert with .to(dtype=...)")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    _check_float(input, op)
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor, got {type(target).__name__}")
    if input.shape != target.shape:
        raise ValueError(f"{op}: input {input.shape} and target {target.shape} must have the "
                         "same shape")
