"""``LayerNorm`` and ``GroupNorm``: per-sample normalisation with PyTorch's parameters.

Example:
    >>> import tinygrad_cnn as tg
    >>> LayerNorm(4)(tg.randn(2, 4)).shape
    (2, 4)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from ..module import Module, Parameter
from ._args import boolean, jsonable, positive_int


def _eps(value: Any, layer: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{layer}: eps must be a positive number, got {value!r}")
    return float(value)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dimensions, then scale and shift."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        dims = [normalized_shape] if isinstance(normalized_shape, (int, np.integer)) else \
            list(normalized_shape)
        self.normalized_shape = tuple(positive_int(d, "normalized_shape", "LayerNorm")
                                      for d in dims)
        self.eps = _eps(eps, "LayerNorm")
        self.elementwise_affine = boolean(elementwise_affine, "elementwise_affine", "LayerNorm")
        self.use_bias = boolean(bias, "bias", "LayerNorm")
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, np.float32))
            if self.use_bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, np.float32))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def get_config(self) -> dict[str, Any]:
        return {"normalized_shape": jsonable(self.normalized_shape), "eps": self.eps,
                "elementwise_affine": self.elementwise_affine, "bias": self.use_bias}

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, " \
               f"elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalise each of ``num_groups`` channel groups, then a per-channel affine."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__()
        self.num_groups = positive_int(num_groups, "num_groups", "GroupNorm")
        self.num_channels = positive_int(num_channels, "num_channels", "GroupNorm")
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels {num_channels} must be divisible by "
                             f"num_groups {num_groups}")
        self.eps = _eps(eps, "GroupNorm")
        self.affine = boolean(affine, "affine", "GroupNorm")
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, np.float32))
            self.bias = Parameter(np.zeros(self.num_channels, np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def get_config(self) -> dict[str, Any]:
        return {"num_groups": self.num_groups, "num_channels": self.num_channels,
                "eps": self.eps, "affine": self.affine}

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
