"""Loss modules: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``, ``L1Loss``,
``BCEWithLogitsLoss`` (wrappers of :mod:`tinygrad_cnn.nn.functional` with PyTorch's
arguments).

Example:
    >>> import tinygrad_cnn as tg
    >>> round(CrossEntropyLoss()(tg.zeros(2, 4), tg.Tensor([0, 3])).item(), 4)
    1.3863
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ._args import probability

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def get_config(self) -> dict[str, Any]:
        return {"reduction": self.reduction}

    def _weight(self, weight: Any) -> None:
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(np.asarray(weight), dtype=np.float32)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits against class indices."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self._weight(weight)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = probability(label_smoothing, "label_smoothing",
                                           "CrossEntropyLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)

    def get_config(self) -> dict[str, Any]:
        return {"ignore_index": self.ignore_index, "reduction": self.reduction,
                "label_smoothing": self.label_smoothing}


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities against class indices."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weight(weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)

    def get_config(self) -> dict[str, Any]:
        return {"ignore_index": self.ignore_index, "reduction": self.reduction}


class MSELoss(_Loss):
    """Mean squared error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(reduction)
        self._weight(weight)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(np.asarray(pos_weight), dtype=np.float32)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)
