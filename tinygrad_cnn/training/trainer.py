"""The training loop: epochs of forward, cross-entropy, backward, optimizer step and schedule
step, with validation, history, checkpoints, exact resume, Ctrl-C and NaN handling.

Exact resume: a checkpoint holds the model, optimizer and schedule state, the epoch counter,
the history, the global random state (:func:`tinygrad_cnn.get_rng_state`: dropout) and the
loader's state (shuffling and augmentation streams, position inside the epoch). Restoring all
of it with :meth:`Trainer.load_state` and calling :meth:`Trainer.fit` again continues exactly:
an interrupted-and-resumed run ends with the same weights, bit for bit, as an uninterrupted one.

Ctrl-C: while :meth:`fit` runs in the main thread, the first SIGINT only asks the loop to stop
at the end of the current batch, where the state is consistent; the loop then saves a
checkpoint (atomically) and raises :class:`TrainingInterrupted` carrying its path. A second
Ctrl-C stops at once, keeping the last checkpoint on disk. A ``KeyboardInterrupt`` raised by a
callback at the end of a batch is treated like the first Ctrl-C. When the installed SIGINT
handler is a process-wide policy with ``attach(on_first, checkpoint)``/``detach()`` (the
``tgcnn`` command's), the trainer attaches to it instead of installing its own handler.

Example:
    >>> import numpy as np, tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn, optim
    >>> from tinygrad_cnn.data import DataLoader
    >>> x = np.random.rand(32, 1, 4, 4).astype(np.float32); y = np.arange(32) % 2
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> trainer = Trainer(model, opt, DataLoader(x, y, batch_size=8, seed=0), epochs=2,
    ...                   val=(x[:8], y[:8]))
    >>> [r["epoch"] for r in trainer.fit()]
    [1, 2]
"""
from __future__ import annotations

import copy
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .. import random as tg_random
from ..backends import get_backend
from ..nn import functional as F
from ..nn.module import Module
from ..tensor import Tensor
from .distributed import world_of
from .callbacks import Callback
from .errors import NonFiniteLossError, TrainingError, TrainingInterrupted
from .evaluation import evaluate, model_device
from .history import best_epoch, epoch_record
from .plots import curves_path, save_curves
from .sigint import install_stop_handler

#: metadata keys the trainer owns in a checkpoint (everything else is passed through)
STATE_KEYS = ("epoch", "epochs", "history", "best_epoch", "seed", "rng_state", "loader_state",
              "partial_epoch")


def _finite(v: float) -> bool:
    return math.isfinite(v)


class Trainer:
    """Train ``model`` with ``optimizer`` on the batches of ``loader`` for ``epochs`` epochs.

    Args:
        model: the network (``Module``); it is trained in place.
        optimizer: an optimizer over ``model.parameters()``.
        loader: a :class:`tinygrad_cnn.data.DataLoader` (or any iterable of ``(x, y)`` numpy
            batches with ``len``, ``position``, ``state_dict`` and ``load_state_dict``).
        epochs: total number of epochs (a resumed trainer continues up to it).
        scheduler: a learning-rate schedule stepped once per epoch, or None.
        val: ``(x, y)`` validation images (dataset units) and labels, or None.
        normalise: ``(mean, std)`` applied to ``val`` images, as the loader does for training.
        checkpoint_path: where a checkpoint is written after every epoch (and on Ctrl-C),
            with the loss/accuracy curves beside it; None writes nothing.
        metadata: extra checkpoint metadata (dataset, classes, input shape, normalisation...).
        callbacks: :class:`Callback` objects (progress display, tests).
        seed: the run's seed, recorded in checkpoints.
        eval_batch_size: batch size of the validation pass.
        handle_sigint: defer Ctrl-C to the end of the batch (main thread only).
        curves: draw the curves PNG beside each checkpoint (False: a callback draws them).
        best_rule: ``history -> best epoch`` (default
            :func:`~tinygrad_cnn.training.history.best_epoch`); a run's ``--monitor``.

    A callback sets ``trainer.stop_training = True`` to end :meth:`fit` after the current
    epoch (early stopping).
    """

    def __init__(self, model: Module, optimizer: Any, loader: Any, *, epochs: int,
                 scheduler: Any = None, val: tuple[np.ndarray, np.ndarray] | None = None,
                 normalise: tuple[Sequence[float], Sequence[float]] | None = None,
                 checkpoint_path: str | os.PathLike[str] | None = None,
                 metadata: Mapping[str, Any] | None = None, callbacks: Sequence[Callback] = (),
                 seed: int | None = None, eval_batch_size: int = 256,
                 handle_sigint: bool = True, curves: bool = True,
                 best_rule: Callable[[list[dict[str, Any]]], int | None] | None = None) -> None:
        if isinstance(epochs, bool) or int(epochs) != epochs or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        if val is not None and len(val[0]) == 0:
            val = None
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self._world = world_of(model)  # DistributedDataParallel: see training/distributed.py
        self.loader = self._world.shard(loader)  # each rank: its shard of every global batch
        self.epochs = int(epochs)
        self.val = val
        self.normalise = normalise
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.metadata = {k: v for k, v in dict(metadata or {}).items() if k not in STATE_KEYS}
        self.callbacks = list(callbacks)
        self.seed = seed
        self.eval_batch_size = int(eval_batch_size)
        self.handle_sigint = handle_sigint
        self.curves, self.best_rule = curves, best_rule   # run-folder hooks
        self.stop_training = False
        self.epoch = 0                      # completed epochs
        self.history: list[dict[str, Any]] = []
        self._partial = self._empty_partial()
        self._stop_requested = False
        self._saved_epoch: int | None = None  # epoch of the last checkpoint written
        self._device = model_device(model)
        floats = [p.dtype for p in model.parameters() if p.dtype.kind == "f"]
        self._dtype = floats[0] if floats else np.dtype(np.float32)

    # ---- state ----
    @staticmethod
    def _empty_partial() -> dict[str, Any]:
        return {"batches": 0, "loss_sum": 0.0, "correct": 0, "seen": 0, "time": 0.0}

    @property
    def best_epoch(self) -> int | None:
        """The best epoch so far (see :func:`~tinygrad_cnn.training.history.best_epoch`)."""
        return (self.best_rule or best_epoch)(self.history)

    def state_metadata(self) -> dict[str, Any]:
        """The checkpoint metadata: the caller's metadata plus the trainer's own state.

        Example:
            >>> import numpy as np; from tinygrad_cnn import nn, optim
            >>> from tinygrad_cnn.data import DataLoader
            >>> x = np.random.rand(16, 1, 4, 4).astype(np.float32); y = np.arange(16) % 2
            >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
            >>> trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
            ...                   DataLoader(x, y, batch_size=8, seed=0), epochs=1)
            >>> _ = trainer.fit()
            >>> sorted(k for k in trainer.state_metadata() if k in STATE_KEYS)[:3]
            ['best_epoch', 'epoch', 'epochs']
        """
        meta = dict(self.metadata)
        meta.update({
            "epoch": self.epoch, "epochs": self.epochs, "history": copy.deepcopy(self.history),
            "best_epoch": self.best_epoch, "seed": self.seed,
            "rng_state": copy.deepcopy(tg_random.get_rng_state()),
            "loader_state": self.loader.state_dict(), "partial_epoch": dict(self._partial)})
        return meta

    def load_state(self, metadata: Mapping[str, Any], optimizer_state: Mapping[str, Any] | None,
                   scheduler_state: Mapping[str, Any] | None = None,
                   restore_scheduler: bool = True) -> None:
        """Restore what :meth:`state_metadata` and a checkpoint's optimizer/scheduler state
        hold, so that :meth:`fit` continues exactly (the model's weights are loaded by
        :func:`~tinygrad_cnn.checkpoint.load_checkpoint`). ``restore_scheduler=False`` leaves
        the schedule alone (a caller that rebuilt it for a different run length).

        Example:
            >>> import tempfile, numpy as np; from pathlib import Path
            >>> from tinygrad_cnn import nn, optim
            >>> from tinygrad_cnn.checkpoint import load_checkpoint
            >>> from tinygrad_cnn.data import DataLoader
            >>> path = Path(tempfile.mkdtemp()) / "model.h5"
            >>> x = np.random.rand(16, 1, 4, 4).astype(np.float32); y = np.arange(16) % 2
            >>> def make(epochs):
            ...     model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
            ...     return Trainer(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(
            ...         x, y, batch_size=8, seed=0), epochs=epochs, checkpoint_path=path)
            >>> _ = make(1).fit()                      # saves the checkpoint after epoch 1
            >>> ckpt, trainer = load_checkpoint(path), make(2)
            >>> trainer.load_state(ckpt.metadata, ckpt.optimizer_state, ckpt.scheduler_state)
            >>> [r["epoch"] for r in trainer.fit()]     # epoch 1 restored, epoch 2 trained
            [1, 2]
        """
        missing = [k for k in ("epoch", "history", "rng_state", "loader_state") if k not in metadata]
        if missing:
            raise ValueError(f"the checkpoint has no training state ({', '.join(missing)} "
                             f"missing): it cannot be resumed; start a new run")
        if optimizer_state is None:
            raise ValueError("the checkpoint has no optimizer state: it cannot be resumed; "
                             "start a new run")
        if restore_scheduler and (scheduler_state is None) != (self.scheduler is None):
            raise ValueError("the checkpoint's learning-rate schedule does not match this run's "
                             "(one has a schedule, the other none); resume with the same `schedule=`")
        self.optimizer.load_state_dict(optimizer_state)
        if restore_scheduler and self.scheduler is not None:
            self.scheduler.load_state_dict(scheduler_state)
        self.loader.load_state_dict(metadata["loader_state"])
        tg_random.set_rng_state(copy.deepcopy(metadata["rng_state"]))
        self.epoch = int(metadata["epoch"])
        self.history = [dict(r) for r in metadata["history"]]
        partial = dict(metadata.get("partial_epoch") or {})
        self._partial = {**self._empty_partial(), **partial}
        self._partial["batches"] = int(self._partial["batches"])
        if self._partial["batches"] != getattr(self.loader, "position", self._partial["batches"]):
            raise ValueError("the checkpoint's loader position and batch counter disagree; "
                             "the checkpoint is corrupt, start a new run")
        self.seed = metadata.get("seed", self.seed)
        self._saved_epoch = self.epoch

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write a checkpoint of the current state atomically (default: ``checkpoint_path``)
        and the loss/accuracy curves beside it; returns the checkpoint path."""
        from ..checkpoint import save_checkpoint

        target = Path(path) if path is not None else self.checkpoint_path
        if target is None:
            raise ValueError("no checkpoint path: pass checkpoint_path to Trainer or a path here")
        if self._world.is_main:  # one writer: rank 0
            target = Path(save_checkpoint(target, self._world.unwrap(self.model),
                                          optimizer=self.optimizer, scheduler=self.scheduler,
                                          metadata=self.state_metadata()))
            if self.history and self.curves:
                save_curves(self.history, curves_path(target))
        self._saved_epoch = self.epoch
        return target

    # ---- Ctrl-C ----
    def request_stop(self) -> None:
        """Ask :meth:`fit` to stop after the current batch (what the first Ctrl-C does)."""
        if not self._stop_requested:
            self._stop_requested = True
            for cb in self.callbacks:
                cb.on_interrupt_requested(self)

    def _last_checkpoint(self) -> str | None:
        """The checkpoint on disk to resume from (None when this run has written none)."""
        saved = self.checkpoint_path is not None and self._saved_epoch is not None
        return str(self.checkpoint_path) if saved else None

    def _stopped(self, epoch: int, saved: bool = True) -> TrainingInterrupted:
        """Interrupted at ``epoch``: after a save (``saved``) or in a torn batch (not saved)."""
        return TrainingInterrupted(self._last_checkpoint(), epoch, int(self._partial["batches"]),
                                   saved=saved)

    def _non_finite(self, epoch: int, batch: int, value: float, quantity: str = "loss"
                    ) -> NonFiniteLossError:
        """``quantity`` became NaN/Inf at ``epoch``/``batch``; the last checkpoint is kept."""
        kept = self._last_checkpoint()
        return NonFiniteLossError(epoch, batch, value, kept, self._saved_epoch if kept else None,
                                  quantity=quantity)

    # ---- the loop ----
    def fit(self) -> list[dict[str, Any]]:
        """Train until ``epochs`` epochs are done; returns the history (one dict per epoch).

        Raises :class:`TrainingInterrupted` on Ctrl-C (after saving) and
        :class:`NonFiniteLossError` when the loss becomes NaN/Inf (the last checkpoint on disk
        is kept).
        """
        undo = install_stop_handler(self.request_stop, self._last_checkpoint,
                                    lambda: self._stop_requested) if self.handle_sigint else None
        try:
            while self.epoch < self.epochs and not self.stop_training:
                self._run_epoch()
        except KeyboardInterrupt:
            # outside a batch (validation, saving): the last checkpoint written is intact
            raise self._stopped(self.epoch + 1, saved=False) from None
        finally:
            if undo is not None:
                undo()
        return self.history

    def _interrupt(self, epoch: int) -> TrainingInterrupted:
        if self.checkpoint_path is not None:
            self.save()
        self._world.barrier()  # every rank stops once rank 0's checkpoint is on disk
        return self._stopped(epoch)

    def _run_epoch(self) -> None:
        epoch = self.epoch + 1
        loader = self.loader
        num_batches = len(loader)
        part = self._partial
        for cb in self.callbacks:
            cb.on_epoch_start(self, epoch, num_batches, int(part["batches"]))
        self.model.train()
        lr = float(self.optimizer.param_groups[0]["lr"])
        started = time.perf_counter()
        elapsed0 = float(part["time"])
        batch_in_progress = False
        try:
            for xb, yb in loader:
                batch_in_progress = True
                batch = int(part["batches"]) + 1
                x = Tensor(np.ascontiguousarray(xb, dtype=self._dtype), device=self._device)
                try:
                    logits = self.model(x)
                    loss = F.cross_entropy(logits, yb)
                except (ValueError, TypeError) as exc:  # the ops' shape/dtype checks
                    raise TrainingError(f"the model cannot train on this data (epoch {epoch}, "
                                        f"batch {batch}): {exc}") from None
                value = float(loss.item())
                n = len(yb)  # sums over all ranks: every rank records them and sees a NaN
                loss_sum, correct, seen = self._world.step_totals(
                    value * n, int((logits.numpy().argmax(axis=1) == yb).sum()), n)
                if not _finite(loss_sum):
                    raise self._non_finite(epoch, batch,
                                           value if not _finite(value) else loss_sum / seen)
                self.optimizer.zero_grad()
                self._world.weigh(loss, n, seen).backward()
                self.optimizer.step()
                part["batches"] = batch
                part["loss_sum"] += loss_sum
                part["correct"] += correct
                part["seen"] += seen
                part["time"] = elapsed0 + time.perf_counter() - started
                batch_in_progress = False
                seen = max(int(part["seen"]), 1)
                for cb in self.callbacks:
                    cb.on_batch_end(self, epoch, batch, num_batches, part["loss_sum"] / seen,
                                    part["correct"] / seen, seen / max(part["time"], 1e-9))
                if self._world.any(self._stop_requested):  # all ranks stop after one batch
                    self._stop_requested = True
                    raise self._interrupt(epoch)
        except KeyboardInterrupt:
            if batch_in_progress:
                # torn batch (batch-norm statistics or weights half updated): keep the last
                # checkpoint on disk rather than save an inconsistent state
                raise self._stopped(epoch, saved=False) from None
            raise self._interrupt(epoch) from None
        self._finish_epoch(epoch, lr, started, elapsed0)

    def _check_weights(self, epoch: int) -> None:
        """The last step of an epoch can still break the weights (its loss was finite): check
        them before validating and saving, so a broken model is never checkpointed."""
        for name, p in self.model.named_parameters():
            if get_backend(p.device).all_finite(p._array):  # one flag back, not the weights
                continue
            values = p.numpy()
            if not np.isfinite(values).all():
                bad = float(values[~np.isfinite(values)].flat[0])
                raise self._non_finite(epoch, int(self._partial["batches"]), bad,
                                       quantity=f"weight {name}")

    def _finish_epoch(self, epoch: int, lr: float, started: float, elapsed0: float) -> None:
        part = self._partial
        train_time = float(part["time"])
        self._check_weights(epoch)
        for cb in self.callbacks:
            cb.on_validation_start(self, epoch)
        val_loss = val_acc = None
        if self.val is not None:
            mean, std = self.normalise if self.normalise is not None else (None, None)
            result = evaluate(self.model, self.val[0], self.val[1], batch_size=self.eval_batch_size,
                              mean=mean, std=std, group=self._world.group)
            val_loss, val_acc = result.loss, result.accuracy
            if not _finite(val_loss):  # finite but huge weights: do not checkpoint them
                raise self._non_finite(epoch, int(part["batches"]), val_loss,
                                       quantity="validation loss")
        seen = max(int(part["seen"]), 1)
        record = epoch_record(epoch, part["loss_sum"] / seen, part["correct"] / seen, val_loss,
                              val_acc, lr, elapsed0 + time.perf_counter() - started,
                              int(part["seen"]) / max(train_time, 1e-9))
        if self.scheduler is not None:
            self.scheduler.step()
        self.history.append(record)
        self.epoch = epoch
        self._partial = self._empty_partial()
        if self.checkpoint_path is not None:
            self.save()
        for cb in self.callbacks:
            cb.on_epoch_end(self, record)
        if self._world.any(self._stop_requested) and self.epoch < self.epochs:
            self._stop_requested = True
            raise self._stopped(self.epoch + 1)


def fit(model: Module, optimizer: Any, loader: Any, *, epochs: int, **kwargs: Any
        ) -> list[dict[str, Any]]:
    """Shortcut for ``Trainer(model, optimizer, loader, epochs=epochs, **kwargs).fit()``.

    Example:
        >>> import numpy as np
        >>> from tinygrad_cnn import nn, optim
        >>> from tinygrad_cnn.data import DataLoader
        >>> x = np.random.rand(16, 1, 2, 2).astype(np.float32); y = np.arange(16) % 2
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> opt = optim.SGD(model.parameters(), lr=0.1)
        >>> history = fit(model, opt, DataLoader(x, y, batch_size=8), epochs=1)
        >>> len(history)
        1
    """
    return Trainer(model, optimizer, loader, epochs=epochs, **kwargs).fit()
