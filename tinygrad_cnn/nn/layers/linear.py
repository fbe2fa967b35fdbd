"""``Linear``: fully connected layer ``y = x W^T + b`` with PyTorch's names and init."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ._args import boolean, positive_int


class Linear(Module):
    """Affine map of the last dimension: (..., in_features) -> (..., out_features).

    Parameters: ``weight`` (out_features, in_features) and ``bias`` (out_features,). Default
    init as PyTorch: weight and bias U(-1/sqrt(in_features), 1/sqrt(in_features)).

    Example:
        >>> Linear(512, 10).num_parameters()     # 512 x 10 weights + 10 biases
        5130
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_features = positive_int(in_features, "in_features", name)
        self.out_features = positive_int(out_features, "out_features", name)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), np.float32))
        if boolean(bias, "bias", name):
            self.bias = Parameter(np.zeros(self.out_features, np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def get_config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None}

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
