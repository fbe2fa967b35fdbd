"""What ``tgcnn train`` shows while it runs: on a terminal a progress bar per epoch with the
running loss, accuracy and images/s; otherwise (pipes, logs, CI) one line per epoch.

Example:
    >>> reporter = ConsoleReporter(tty=False)
    >>> reporter.on_epoch_end(None, {"epoch": 1, "train_loss": 0.5, "train_acc": 0.8,
    ...     "val_loss": None, "val_acc": None, "lr": 0.1, "time": 2.0, "images_per_s": 100.0})
    epoch 1: train loss 0.5000 acc 80.00% | lr 0.1 | 2.0s, 100 img/s
"""
from __future__ import annotations

import sys
from typing import Any

import click

from tinygrad_cnn.training import Callback, format_record


class ConsoleReporter(Callback):
    """Progress display for :class:`~tinygrad_cnn.training.Trainer`.

    ``tty`` (default: whether stdout is a terminal) chooses between the progress bar and the
    plain one-line-per-epoch output.
    """

    def __init__(self, tty: bool | None = None, epochs: int | None = None) -> None:
        self.tty = sys.stdout.isatty() if tty is None else bool(tty)
        self.epochs = epochs
        self._bar: Any = None
        self._status = ""

    def on_epoch_start(self, trainer: Any, epoch: int, num_batches: int, start_batch: int) -> None:
        if not self.tty:
            return
        total = self.epochs or getattr(trainer, "epochs", None)
        label = f"epoch {epoch}/{total}" if total else f"epoch {epoch}"
        self._status = ""
        self._bar = click.progressbar(length=num_batches, label=label, show_eta=True,
                                      show_percent=False, show_pos=True,
                                      item_show_func=lambda _: self._status or None)
        self._bar.__enter__()
        if start_batch:
            self._bar.update(start_batch)

    def on_batch_end(self, trainer: Any, epoch: int, batch: int, num_batches: int, loss: float,
                     accuracy: float, images_per_s: float) -> None:
        if self._bar is not None:
            self._status = f"loss {loss:.4f} acc {100 * accuracy:.1f}% {images_per_s:.0f} img/s"
            self._bar.update(1)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def on_validation_start(self, trainer: Any, epoch: int) -> None:
        self._close_bar()

    def on_epoch_end(self, trainer: Any, record: dict[str, Any]) -> None:
        self._close_bar()
        click.echo(format_record(record))

    def on_interrupt_requested(self, trainer: Any) -> None:
        self._close_bar()
        click.echo("stopping after this batch to save a checkpoint (Ctrl-C again to stop at "
                   "once)", err=True)

    def close(self) -> None:
        """End a bar left open by an error."""
        self._close_bar()
