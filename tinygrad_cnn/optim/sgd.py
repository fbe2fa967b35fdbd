"""Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay."""
from __future__ import annotations

import numbers
from typing import Any

from ..backends import get_backend
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_nonneg


class SGD(Optimizer):
    """``torch.optim.SGD``: the same update rule, so the same trajectory for the same gradients.

    With ``g = grad + weight_decay * p``: ``buf = g`` on a parameter's first step, then
    ``buf = momentum * buf + (1 - dampening) * g``; the step direction is ``g + momentum *
    buf`` (``nesterov``) or ``buf`` (or ``g`` when ``momentum == 0``); ``p -= lr * direction``.
    Per-parameter state: ``"momentum_buffer"`` (only when ``momentum != 0``).

    Example:
        >>> import numpy as np
        >>> from tinygrad_cnn import Tensor
        >>> w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        >>> opt = SGD([w], lr=0.5)
        >>> w.grad = Tensor(np.array([1.0, -1.0]))
        >>> opt.step()
        >>> w.numpy().tolist()
        [0.5, 2.5]
    """

    _buffer_keys = ("momentum_buffer",)

    def __init__(self, params: ParamsT, lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonneg(group, "lr", "Invalid learning rate")
        check_nonneg(group, "momentum", "Invalid momentum value")
        check_nonneg(group, "weight_decay", "Invalid weight_decay value")
        dampening = group["dampening"]
        if isinstance(dampening, bool) or not isinstance(dampening, numbers.Real) \
                or dampening != dampening:
            raise ValueError(f"Invalid dampening value: {dampening}")
        if group["nesterov"] and (group["momentum"] <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        be = get_backend(p.device)
        momentum = float(group["momentum"])
        buf = state.get("momentum_buffer")
        first_step = buf is None
        if momentum != 0.0 and first_step:
            buf = state["momentum_buffer"] = be.zeros(p.shape, p.dtype)
        be.sgd_step(p._array, grad, buf, float(group["lr"]), momentum,
                    float(group["dampening"]), float(group["weight_decay"]),
                    bool(group["nesterov"]), first_step)

