"""Activation layers: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``GELU``,
``SiLU``, ``ELU``, ``ReLU6``, ``Hardswish``, ``Softplus``, ``LogSoftmax`` (no parameters)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from ..module import Module


class _Stateless(Module):
    """An activation without arguments."""

    def get_config(self) -> dict[str, Any]:
        return {}


class ReLU(_Stateless):
    """``max(x, 0)``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(_Stateless):
    """``1 / (1 + exp(-x))``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(_Stateless):
    """``tanh(x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class LeakyReLU(Module):
    """``x`` where positive, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(
                negative_slope, (int, float, np.integer, np.floating)):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class _AlongDim(Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Probabilities along ``dim`` (``exp(x) / sum(exp(x))``, stable).

    Example:
        >>> import tinygrad_cnn as tg
        >>> Softmax(dim=1)(tg.zeros(2, 4)).numpy()[0]
        array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)


class LogSoftmax(_AlongDim):
    """Log-probabilities along ``dim`` (pair with ``nll_loss``)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)


class GELU(Module):
    """``x * Phi(x)`` (``approximate="tanh"`` for the tanh form)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def get_config(self) -> dict[str, Any]:
        return {"approximate": self.approximate}


class SiLU(_Stateless):
    """``x * sigmoid(x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class ReLU6(_Stateless):
    """``min(max(x, 0), 6)``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu6(x)


class Hardswish(_Stateless):
    """``x * relu6(x + 3) / 6``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.hardswish(x)


def _number(value: Any, name: str, layer: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{layer}: {name} must be a number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{layer}: {name} must be positive, got {value}")
    return float(value)


class ELU(Module):
    """``x`` above 0, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _number(alpha, "alpha", "ELU")

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``.

    Example:
        >>> import tinygrad_cnn as tg
        >>> round(Softplus()(tg.zeros(1)).item(), 4)
        0.6931
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _number(beta, "beta", "Softplus", positive=True)
        self.threshold = _number(threshold, "threshold", "Softplus")

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def get_config(self) -> dict[str, Any]:
        return {"beta": self.beta, "threshold": self.threshold}
