"""Learning-rate schedules with PyTorch's ``torch.optim.lr_scheduler`` semantics.

A scheduler sets every parameter group's ``"lr"`` when it is built (epoch 0) and at each
:meth:`LRScheduler.step` (one call per epoch, after the optimizer's steps). Each schedule is a
closed form of the epoch and of the groups' ``"initial_lr"`` (recorded on first use, as in
PyTorch); the values equal PyTorch's recursive ones to float rounding. Because they are closed
forms they do not compound with manual changes of ``group["lr"]`` between steps.

Example — five warm-up epochs from 10% of the learning rate, then a cosine decay to zero over
the remaining 25 epochs:

    >>> from tinygrad_cnn import Tensor
    >>> from tinygrad_cnn.optim import SGD
    >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = warmup_cosine(opt, warmup_epochs=5, total_epochs=30, start_factor=0.1)
    >>> lrs = []
    >>> for epoch in range(30):
    ...     lrs.append(opt.param_groups[0]["lr"])   # ... one epoch of opt.step() calls ...
    ...     sched.step()
    >>> [round(lr, 4) for lr in lrs[:7]], round(lrs[-1], 4)
    ([0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.0996], 0.0004)

State dicts (:meth:`LRScheduler.state_dict`) hold only ints, floats and lists (a
:class:`SequentialLR` nests its schedulers' dicts under ``"schedulers"``); like PyTorch,
loading one does not touch the optimizer, whose own state dict carries ``lr``.
"""
from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from typing import Any

from .optimizer import Optimizer, _plain, _python

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR", "LinearLR", "LinearWarmup",
           "SequentialLR", "warmup_cosine"]


class LRScheduler:
    """Base class: subclasses define :meth:`lr_at`, the learning rates of an epoch.

    ``last_epoch`` is the index of the last epoch whose learning rate was set (``-1`` for a
    fresh schedule; pass the last finished epoch to resume, which needs ``"initial_lr"`` in
    the groups, as in PyTorch).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a schedule (last_epoch != -1)")
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._last_lr: list[float] = []
        self.step()

    def lr_at(self, epoch: int) -> list[float]:
        """The learning rate of every parameter group at ``epoch`` (0 = before any step)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the groups' learning rates."""
        self._set_epoch(self.last_epoch + 1)

    def _set_epoch(self, epoch: int) -> None:
        self.last_epoch = epoch
        lrs = self.lr_at(epoch)
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last :meth:`step` (one per group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as ints, floats and lists."""
        return {k: _plain(v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by :meth:`state_dict` (the optimizer is left alone)."""
        for key, value in state_dict.items():
            if key == "optimizer":
                continue
            setattr(self, key, _python(value))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr = initial_lr * gamma ** (epoch // step_size)``.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # 0.1 -> 0.01 at epoch 30
        >>> for epoch in range(30):
        ...     sched.step()
        >>> round(opt.param_groups[0]["lr"], 6)
        0.01
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) \
                or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        _check_real(gamma, "gamma", low=0.0)
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [base * self.gamma ** (epoch // self.step_size) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial learning rate to ``eta_min`` over ``T_max`` epochs.

    ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``; past
    ``T_max`` it rises again (the cosine continues), exactly as PyTorch's schedule.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> sched = CosineAnnealingLR(opt, T_max=50, eta_min=1e-5)
        >>> for epoch in range(25):
        ...     sched.step()
        >>> round(opt.param_groups[0]["lr"], 6)     # half way: (0.1 + 1e-5) / 2
        0.050005
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, numbers.Integral) or T_max < 1:
            raise ValueError(f"T_max must be a positive integer, got {T_max}")
        _check_real(eta_min, "eta_min", low=0.0)
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        cos = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then keep ``end_factor`` (PyTorch's ``LinearLR``).

    ``lr = initial_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> sched = LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(opt.param_groups[0]["lr"]); sched.step()
        >>> [round(lr / 0.1, 4) for lr in lrs]     # 25% -> 100% of the learning rate
        [0.25, 0.4375, 0.625, 0.8125, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if isinstance(start_factor, bool) or not isinstance(start_factor, numbers.Real) \
                or not 0.0 < start_factor <= 1.0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1, got {start_factor}")
        if isinstance(end_factor, bool) or not isinstance(end_factor, numbers.Real) \
                or not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1, got "
                             f"{end_factor}")
        if isinstance(total_iters, bool) or not isinstance(total_iters, numbers.Integral) \
                or total_iters < 1:
            raise ValueError(f"total_iters must be a positive integer, got {total_iters}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        frac = min(epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * frac
        return [base * factor for base in self.base_lrs]


class LinearWarmup(LinearLR):
    """Linear warm-up from ``start_factor`` of the learning rate to all of it over
    ``warmup_epochs`` epochs (``LinearLR`` with ``end_factor=1``).

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> sched = LinearWarmup(opt, warmup_epochs=5, start_factor=0.1)
        >>> lrs = []
        >>> for epoch in range(7):
        ...     lrs.append(opt.param_groups[0]["lr"]); sched.step()
        >>> [round(lr, 4) for lr in lrs]
        [0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, warmup_epochs: int, start_factor: float = 0.1,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, start_factor=start_factor, end_factor=1.0,
                         total_iters=warmup_epochs, last_epoch=last_epoch)


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones``
    (PyTorch's ``SequentialLR``): scheduler ``i`` starts at its own epoch 0 at
    ``milestones[i-1]``.

    Build the schedulers on the same optimizer first, then chain them.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> warm = LinearLR(opt, start_factor=0.1, total_iters=5)
        >>> cos = CosineAnnealingLR(opt, T_max=25)
        >>> sched = SequentialLR(opt, [warm, cos], milestones=[5])
        >>> lrs = []
        >>> for epoch in range(30):
        ...     lrs.append(opt.param_groups[0]["lr"]); sched.step()
        >>> [round(lr, 4) for lr in lrs[3:8]], round(lrs[-1], 4)
        ([0.064, 0.082, 0.1, 0.0996, 0.0984], 0.0004)
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:
        schedulers = list(schedulers)
        milestones = [int(m) for m in milestones]
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be "
                             "one more than the number of milestone points, but got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if milestones != sorted(milestones) or any(m < 1 for m in milestones):
            raise ValueError(f"milestones must be increasing positive epochs, got {milestones}")
        for i, sched in enumerate(schedulers):
            if not isinstance(sched, LRScheduler) or isinstance(sched, SequentialLR):
                raise TypeError(f"SequentialLR: schedulers[{i}] is not a simple LRScheduler")
            if sched.optimizer is not optimizer:
                raise ValueError("Sequential Schedulers expects all schedulers to belong to the "
                                 f"same optimizer, but got schedulers at index {i} to be "
                                 "different from the optimizer passed in.")
        self._schedulers = schedulers
        self.milestones = milestones
        super().__init__(optimizer, last_epoch)

    def _active(self, epoch: int) -> tuple[LRScheduler, int]:
        idx = bisect_right(self.milestones, epoch)
        start = self.milestones[idx - 1] if idx else 0
        return self._schedulers[idx], epoch - start

    def lr_at(self, epoch: int) -> list[float]:
        sched, local = self._active(epoch)
        return sched.lr_at(local)

    def _set_epoch(self, epoch: int) -> None:
        sched, local = self._active(epoch)
        sched._set_epoch(local)  # keeps the active scheduler's own last_epoch in step
        self.last_epoch = epoch
        self._last_lr = sched.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Own attributes plus each scheduler's state dict under ``"schedulers"``."""
        out = {k: _plain(v) for k, v in vars(self).items()
               if k not in ("optimizer", "_schedulers")}
        out["schedulers"] = [s.state_dict() for s in self._schedulers]
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("schedulers", [])
        if len(saved) != len(self._schedulers):
            raise ValueError(f"loaded SequentialLR state has {len(saved)} schedulers, this one "
                             f"has {len(self._schedulers)}")
        for sched, sub in zip(self._schedulers, saved):
            sched.load_state_dict(sub)
        super().load_state_dict(state)


def warmup_cosine(optimizer: Optimizer, warmup_epochs: int, total_epochs: int,
                  start_factor: float = 0.1, eta_min: float = 0.0) -> LRScheduler:
    """Linear warm-up over ``warmup_epochs``, then cosine decay to ``eta_min`` at
    ``total_epochs`` (a :class:`SequentialLR`; plain cosine when ``warmup_epochs == 0``).

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        >>> sched = warmup_cosine(opt, warmup_epochs=5, total_epochs=30)
        >>> [round(lr / 0.1, 2) for lr in sched.get_last_lr()]     # epoch 0 at 10%
        [0.1]
    """
    if total_epochs <= warmup_epochs:
        raise ValueError(f"total_epochs ({total_epochs}) must exceed warmup_epochs "
                         f"({warmup_epochs})")
    if warmup_epochs == 0:
        return CosineAnnealingLR(optimizer, T_max=total_epochs, eta_min=eta_min)
    warm = LinearWarmup(optimizer, warmup_epochs, start_factor=start_factor)
    cos = CosineAnnealingLR(optimizer, T_max=total_epochs - warmup_epochs, eta_min=eta_min)
    return SequentialLR(optimizer, [warm, cos], milestones=[warmup_epochs])


def _check_real(value: Any, name: str, low: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= low:
        raise ValueError(f"Invalid {name}: {value}")

