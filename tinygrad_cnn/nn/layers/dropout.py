"""``Dropout``: random zeroing in training mode, identity in evaluation mode."""
from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ._args import probability


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    ``training``; pass the input through unchanged after :meth:`Module.eval`.

    The mask comes from the framework's generator: :func:`tinygrad_cnn.manual_seed` repeats it.

    Example:
        >>> import tinygrad_cnn as tg
        >>> drop = Dropout(0.5).eval()
        >>> drop(tg.ones(2, 2)).numpy().tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = probability(p, "p", type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
