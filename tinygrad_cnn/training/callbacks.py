"""The hooks a :class:`~tinygrad_cnn.training.Trainer` calls while it trains."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Callback"]


class Callback:
    """Hooks called by :class:`Trainer` (all optional): subclass and override what you need.

    Example:
        >>> class Printer(Callback):
        ...     def on_epoch_end(self, trainer, record):
        ...         print(record["epoch"], round(record["train_loss"], 2))
    """

    def on_epoch_start(self, trainer: "Trainer", epoch: int, num_batches: int,
                       start_batch: int) -> None:
        """Before the first batch of ``epoch`` (1-based); ``start_batch`` > 0 when resuming
        inside the epoch."""

    def on_batch_end(self, trainer: "Trainer", epoch: int, batch: int, num_batches: int,
                     loss: float, accuracy: float, images_per_s: float) -> None:
        """After each optimizer step; ``loss``/``accuracy`` are running means over the epoch.
        Raising ``KeyboardInterrupt`` here stops training like Ctrl-C (checkpoint saved)."""

    def on_validation_start(self, trainer: "Trainer", epoch: int) -> None:
        """After the last batch of ``epoch``, before the validation pass."""

    def on_epoch_end(self, trainer: "Trainer", record: dict[str, Any]) -> None:
        """After validation and the checkpoint of an epoch; ``record`` is its history entry."""

    def on_interrupt_requested(self, trainer: "Trainer") -> None:
        """The first Ctrl-C arrived; training stops after the current batch."""
