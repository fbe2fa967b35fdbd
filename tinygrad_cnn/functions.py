"""Top-level tensor functions with PyTorch's names: ``cat``, ``stack``, ``where``.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.cat([tg.ones(1, 2), tg.zeros(2, 2)]).shape
    (3, 2)
    >>> tg.where(tg.Tensor([1.0, -1.0]) > 0, 1.0, 0.0).tolist()
    [1.0, 0.0]
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .dtypes import BOOL, result_type, scalar_result_type
from .ops import math as mt
from .tensor import Tensor, _check_dim

__all__ = ["cat", "stack", "where"]


def _tensors(tensors: Sequence[Tensor], op: str) -> list[Tensor]:
    items = list(tensors)
    if not items:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected tensors, got {type(t).__name__}")
    devices = {t.device for t in items}
    if len(devices) > 1:
        raise ValueError(f"{op}: tensors on different devices {sorted(devices)}")
    dtype = items[0].dtype
    for t in items[1:]:
        dtype = result_type(dtype, t.dtype)
    return [t.to(dtype=dtype) for t in items]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (dtypes promote; gradients split back).

    Example:
        >>> cat([Tensor([1.0, 1.0]), Tensor([0.0])]).tolist()
        [1.0, 1.0, 0.0]
    """
    items = [t for t in _tensors(tensors, "cat") if not (t.ndim == 1 and t.shape == (0,))] or \
        _tensors(tensors, "cat")[:1]
    ref = items[0]
    d = _check_dim(dim, ref.ndim, "cat")
    for t in items[1:]:
        if t.ndim != ref.ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, ref.shape))
                                     if k != d):
            raise ValueError(f"cat: shapes {[x.shape for x in items]} differ outside dim {dim}")
    total = sum(t.shape[d] for t in items)
    out, start = None, 0
    for t in items:
        n = t.shape[d]
        pads = [(0, 0)] * ref.ndim
        pads[d] = (start, total - start - n)
        piece = t.pad(pads) if total != n else t
        out = piece if out is None else out + piece
        start += n
    return out


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension.

    Example:
        >>> stack([Tensor([1.0, 1.0]), Tensor([0.0, 0.0])], dim=1).shape
        (2, 2)
    """
    items = _tensors(tensors, "stack")
    shapes = {t.shape for t in items}
    if len(shapes) > 1:
        raise ValueError(f"stack: expected tensors of one shape, got {[t.shape for t in items]}")
    d = _check_dim(dim, items[0].ndim, "stack", extra=1)
    return cat([t.unsqueeze(d) for t in items], d)


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input`` where ``condition`` else ``other``, broadcasting all three (differentiable
    in ``input`` and ``other``; the dtype follows PyTorch's promotion).

    Example:
        >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0).tolist()
        [1.0, 0.0]
    """
    cond = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    if cond.dtype != BOOL:
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    ref = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    device = ref.device if ref is not None else cond.device

    def as_tensor(v: Any, partner: Any) -> Tensor:
        if isinstance(v, Tensor):
            return v
        if isinstance(partner, Tensor) and isinstance(v, (bool, int, float, np.number)):
            return Tensor(v, dtype=scalar_result_type(partner.dtype, v), device=device)
        return Tensor(v, device=device)

    a, b = as_tensor(input, other), as_tensor(other, input)
    dtype = result_type(a.dtype, b.dtype, a.ndim == 0, b.ndim == 0)
    a, b = a.to(dtype=dtype), b.to(dtype=dtype)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not "
                         "broadcast") from None
    return mt.Where.apply(cond.to(device).to(dtype=dtype), a, b)
