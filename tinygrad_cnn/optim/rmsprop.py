"""RMSprop, as ``torch.optim.RMSprop`` (plain, centered, with momentum and weight decay)."""
from __future__ import annotations

import numbers
from typing import Any

from ..backends import get_backend
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_nonneg


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: the same update rule and trajectory.

    With ``g = grad + weight_decay * p``: ``v = alpha*v + (1-alpha)*g*g``; centered also keeps
    ``m = alpha*m + (1-alpha)*g`` and uses ``v - m*m``; ``avg = sqrt(v [- m*m]) + eps``; then
    ``buf = momentum*buf + g/avg; p -= lr*buf`` with momentum, else ``p -= lr*g/avg``.
    Per-parameter state: ``"step"``, ``"square_avg"`` (+ ``"grad_avg"``, ``"momentum_buffer"``).
    The update is composed of the backend's elementwise kernels and written into the
    parameter's storage, so it runs on every device.

    Example:
        >>> import numpy as np
        >>> w = Tensor(np.array([1.0]), requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01)
        >>> w.grad = Tensor(np.array([2.0]))
        >>> opt.step()
        >>> round(w.item(), 4)          # 1 - 0.01 * 2 / sqrt(0.01 * 4)
        0.9
    """

    _buffer_keys = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonneg(group, "lr", "Invalid learning rate")
        check_nonneg(group, "eps", "Invalid epsilon value")
        check_nonneg(group, "momentum", "Invalid momentum value")
        check_nonneg(group, "weight_decay", "Invalid weight_decay value")
        alpha = group["alpha"]
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha < 0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if not isinstance(group["centered"], bool):
            raise TypeError(f"centered must be a bool, got {group['centered']!r}")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        be = get_backend(p.device)
        alpha, eps, lr = float(group["alpha"]), float(group["eps"]), float(group["lr"])
        momentum, wd = float(group["momentum"]), float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = be.zeros(p.shape, p.dtype)
            if group["centered"]:
                state["grad_avg"] = be.zeros(p.shape, p.dtype)
            if momentum > 0:
                state["momentum_buffer"] = be.zeros(p.shape, p.dtype)
        state["step"] = int(state["step"]) + 1
        param = p._array
        g = be.add(grad, be.scalar_op(param, "*", wd)) if wd else grad
        sq = be.add(be.scalar_op(state["square_avg"], "*", alpha),
                    be.scalar_op(be.mul(g, g), "*", 1.0 - alpha))
        state["square_avg"] = sq
        if group["centered"]:
            ga = be.add(be.scalar_op(state["grad_avg"], "*", alpha),
                        be.scalar_op(g, "*", 1.0 - alpha))
            state["grad_avg"] = ga
            sq = be.sub(sq, be.mul(ga, ga))
        avg = be.scalar_op(be.sqrt(sq), "+", eps)
        step = be.div(g, avg)
        if momentum > 0:
            step = be.add(be.scalar_op(state["momentum_buffer"], "*", momentum), step)
            state["momentum_buffer"] = step
        be.assign(param, be.sub(param, be.scalar_op(step, "*", lr)))
