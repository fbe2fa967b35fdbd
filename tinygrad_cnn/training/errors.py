"""Exceptions of the training loop: each carries one line for the user and the facts behind it.

Example:
    >>> err = NonFiniteLossError(3, 17, float("nan"), "model.h5")
    >>> err.epoch, err.batch
    (3, 17)
"""
from __future__ import annotations

import math

from ..errors import INTERRUPTED, TinygradCNNError


class TrainingError(TinygradCNNError, RuntimeError):
    """Base class of training failures whose message is one line meant for the user."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite; training stopped before the bad step was applied.

    ``checkpoint`` is the last good checkpoint on disk (``None`` when none was written yet).

    Example:
        >>> print(NonFiniteLossError(2, 5, float("inf"), None))
        loss became inf at epoch 2, batch 5; no checkpoint was written yet; lower `lr=` or check the data for NaN/Inf values
    """

    def __init__(self, epoch: int, batch: int, value: float, checkpoint: str | None,
                 checkpoint_epoch: int | None = None, quantity: str = "loss") -> None:
        self.epoch, self.batch, self.value, self.quantity = epoch, batch, value, quantity
        self.checkpoint, self.checkpoint_epoch = checkpoint, checkpoint_epoch
        what = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if checkpoint is None:
            kept = "no checkpoint was written yet"
        else:
            at = f" (epoch {checkpoint_epoch})" if checkpoint_epoch is not None else ""
            kept = f"the last good checkpoint{at} is kept in {checkpoint}"
        super().__init__(f"{quantity} became {what} at epoch {epoch}, batch {batch}; {kept}; "
                         f"lower `lr=` or check the data for NaN/Inf values")


class TrainingInterrupted(TrainingError):
    """Training was interrupted (Ctrl-C); ``path`` holds a checkpoint to resume from.

    ``epoch``/``batch`` say how far training got (batches done in the unfinished epoch).
    ``saved`` is False when the interrupt tore a batch apart: then nothing new was written
    and ``path`` is the last checkpoint written before (or None).

    Example:
        >>> print(TrainingInterrupted("model.h5", 2, 10))
        interrupted at epoch 2 after batch 10; checkpoint saved to model.h5
        >>> print(TrainingInterrupted("model.h5", 2, 10, saved=False))
        interrupted at epoch 2 during batch 11; the last checkpoint is kept in model.h5
        >>> print(TrainingInterrupted("model.h5", 3, 0, finished=True))
        interrupted after the last epoch (3), before the test evaluation; the checkpoint is complete in model.h5
    """

    kind = INTERRUPTED

    def __init__(self, path: str | None, epoch: int, batch: int, saved: bool = True,
                 finished: bool = False) -> None:
        self.path, self.epoch, self.batch, self.saved = path, epoch, batch, saved
        self.finished = finished
        if finished:
            where = f"the checkpoint is complete in {path}" if path else "nothing was saved"
            super().__init__(f"interrupted after the last epoch ({epoch}), before the test "
                             f"evaluation; {where}")
        elif saved:
            where = f"checkpoint saved to {path}" if path else "no checkpoint was saved"
            super().__init__(f"interrupted at epoch {epoch} after batch {batch}; {where}")
        else:
            where = f"the last checkpoint is kept in {path}" if path else \
                "no checkpoint was written yet"
            super().__init__(f"interrupted at epoch {epoch} during batch {batch + 1}; {where}")
