"""``Parameter``: a module's trainable leaf tensor (PyTorch's ``torch.nn.Parameter``).

Example:
    >>> Parameter(np.ones(3)).requires_grad
    True
"""
from __future__ import annotations

from typing import Any

import numpy as np  # noqa: F401 (used by the examples)

from ..backends import normalize_device
from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A :class:`Tensor` that is a module's trainable leaf (``requires_grad=True`` by default).

    Built from a Tensor it shares that tensor's data, dtype and device; built from array-like
    data it follows :class:`Tensor`'s rules (floats become float32 unless ``dtype`` is given).

    Example:
        >>> w = Parameter(np.zeros((2, 3)))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 device: str | None = None) -> None:
        if isinstance(data, Tensor) and dtype is None:
            target = normalize_device(device) if device is not None else data.device
            if target != data.device:
                data = data.to(target)
            self._array, self.device = data._array, data.device
            self.grad, self._ctx, self.requires_grad = None, None, False
            self.requires_grad_(requires_grad)
        else:
            super().__init__(data, requires_grad, dtype, device or "cpu")

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
