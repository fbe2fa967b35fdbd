"""Adam (L2 weight decay in the gradient) and AdamW (decoupled weight decay)."""
from __future__ import annotations

import numbers
from typing import Any

from ..backends import get_backend
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_nonneg


class Adam(Optimizer):
    """``torch.optim.Adam`` (without ``amsgrad``): the same update rule and trajectory.

    With ``g = grad + weight_decay * p`` and ``t`` the parameter's step count (from 1):
    ``m = beta1*m + (1-beta1)*g``, ``v = beta2*v + (1-beta2)*g*g`` and
    ``p -= lr/(1-beta1**t) * m / (sqrt(v)/sqrt(1-beta2**t) + eps)``. Per-parameter state:
    ``"step"`` (int), ``"exp_avg"`` and ``"exp_avg_sq"``.

    Example:
        >>> import numpy as np
        >>> from tinygrad_cnn import Tensor
        >>> w = Tensor(np.array([1.0]), requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> w.grad = Tensor(np.array([3.0]))
        >>> opt.step()
        >>> round(w.item(), 4)          # the first Adam step moves by lr * sign(grad)
        0.9
    """

    _buffer_keys = ("exp_avg", "exp_avg_sq")
    _decoupled = False  # AdamW: weight decay multiplies the parameter instead

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay})

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonneg(group, "lr", "Invalid learning rate")
        check_nonneg(group, "eps", "Invalid epsilon value")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas} (expected two numbers in [0, 1))")
        for i, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real) \
                    or not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        check_nonneg(group, "weight_decay", "Invalid weight_decay value")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        be = get_backend(p.device)
        if not state:
            state["step"] = 0
            state["exp_avg"] = be.zeros(p.shape, p.dtype)
            state["exp_avg_sq"] = be.zeros(p.shape, p.dtype)
        state["step"] = int(state["step"]) + 1
        beta1, beta2 = group["betas"]
        be.adam_step(p._array, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                     float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                     float(group["weight_decay"]), self._decoupled)


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay, ``p *= 1 - lr*weight_decay``
    before the Adam step (the gradient is not decayed). Same state as :class:`Adam`.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = Tensor([3.0])
        >>> opt.step()
        >>> round(w.item(), 4)          # 1 * (1 - 0.1 * 0.5), then the Adam step of -lr
        0.85
    """

    _decoupled = True

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
