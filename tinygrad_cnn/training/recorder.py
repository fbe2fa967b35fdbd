"""The trainer callback that keeps a run's files up to date after every epoch: the best
checkpoint (by the monitored metric), ``metrics.csv``, the curves; and early stopping.

Example:
    >>> import tempfile; from pathlib import Path
    >>> import numpy as np
    >>> from tinygrad_cnn import nn, optim
    >>> from tinygrad_cnn.data import DataLoader
    >>> from tinygrad_cnn.training import Trainer
    >>> from tinygrad_cnn.training.run_folder import paths_for_file
    >>> path = Path(tempfile.mkdtemp()) / "m.h5"
    >>> rec = RunRecorder(paths_for_file(path), monitor="train_loss", patience=3)
    >>> x = np.random.rand(16, 1, 4, 4).astype(np.float32); y = np.arange(16) % 2
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    >>> trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
    ...                   DataLoader(x, y, batch_size=8, seed=0), epochs=2,
    ...                   checkpoint_path=path, callbacks=[rec])
    >>> [r["epoch"] for r in trainer.fit()]
    [1, 2]
    >>> sorted(p.name for p in path.parent.iterdir())
    ['m.best.h5', 'm.curves.png', 'm.h5', 'm.metrics.csv']
"""
from __future__ import annotations

import time
from typing import Any

from .monitor import best_by, should_stop
from .plots import save_curves
from .run_folder import RunPaths, copy_checkpoint, write_metrics
from .callbacks import Callback

#: the curves are redrawn after an epoch only when drawing them last took at most this share
#: of the epoch's time (matplotlib needs ~0.2-1.5 s; a short epoch is not slowed by its plot);
#: skipped drawings are caught up at the end of the run
DRAW_BUDGET = 0.05


class RunRecorder(Callback):
    """After each epoch (the trainer has just written ``paths.last``): rewrite
    ``paths.metrics`` and ``paths.curves``, copy the checkpoint to ``paths.best`` when the
    epoch is the best so far by ``monitor`` (improving by more than ``min_delta``), and, with
    ``patience``, ask the trainer to stop when that many epochs passed without improvement.

    ``stopped_at`` is the epoch early stopping ended the run at (None otherwise); ``title``
    heads the curves, which are redrawn within :data:`DRAW_BUDGET` of the epoch time (and
    always by :meth:`finish`).
    """

    def __init__(self, paths: RunPaths, monitor: str, *, min_delta: float = 0.0,
                 patience: int | None = None, title: str | None = None,
                 writes: bool = True) -> None:
        self.paths, self.monitor, self.min_delta = paths, monitor, float(min_delta)
        self.writes = writes  # False on the other ranks of a data-parallel job: rank 0 writes
        self.patience = patience
        self.title = title
        self.stopped_at: int | None = None
        self.notes: list[str] = []  # what the run says about itself (monitor, schedule)
        self._draw_s: float | None = None  # how long the last curves took to draw
        self._stale = False

    def draw(self, history: list[dict[str, Any]]) -> None:
        """Draw the curves now (and time it)."""
        started = time.perf_counter()
        save_curves(history, self.paths.curves, title=self.title,
                    best_epoch=self.best_epoch(history), monitor=self.monitor)
        self._draw_s = time.perf_counter() - started
        self._stale = False

    def finish(self, trainer: Any) -> None:
        """At the end of the run: draw the curves if an epoch skipped them."""
        if self._stale and trainer.history and self.writes:
            self.draw(trainer.history)

    def best_epoch(self, history: list[dict[str, Any]]) -> int | None:
        """The best epoch of ``history`` by this recorder's metric."""
        return best_by(history, self.monitor, self.min_delta)

    def check_stopped(self, trainer: Any) -> bool:
        """Before training: a resumed run that had already stopped early stays stopped."""
        if self.patience is not None and should_stop(trainer.history, self.monitor,
                                                     self.patience, self.min_delta):
            self.stopped_at = trainer.epoch
            trainer.stop_training = True
        return trainer.stop_training

    def on_epoch_end(self, trainer: Any, record: dict[str, Any]) -> None:
        history = trainer.history
        if self.writes:
            self._write(history, record)
        if self.patience is not None and trainer.epoch < trainer.epochs \
                and should_stop(history, self.monitor, self.patience, self.min_delta):
            self.stopped_at = int(record["epoch"])
            trainer.stop_training = True

    def _write(self, history: list[dict[str, Any]], record: dict[str, Any]) -> None:
        if self.best_epoch(history) == record["epoch"] and self.paths.last.exists():
            copy_checkpoint(self.paths.last, self.paths.best)
        write_metrics(history, self.paths.metrics)
        if self._draw_s is None or self._draw_s <= DRAW_BUDGET * float(record.get("time") or 0):
            self.draw(history)
        else:
            self._stale = True


def start_recorder(config: Any, paths: RunPaths, has_validation: bool, title: str
                   ) -> tuple[RunRecorder, list[str]]:
    """The recorder of a run (``config`` a :class:`~tinygrad_cnn.training.TrainConfig`) and
    notes to show: the monitored metric when it had to change. Writes ``config.json`` and
    ``resume.txt``.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn.training import TrainConfig
        >>> from tinygrad_cnn.training.run_folder import paths_for_file
        >>> paths = paths_for_file(Path(tempfile.mkdtemp()) / "m.h5")
        >>> rec, notes = start_recorder(TrainConfig(val_split=0), paths, False, "t")
        >>> rec.monitor
        'train_loss'
        >>> notes
        ['no validation split: the best epoch is chosen by train_loss instead of val_loss']
    """
    from .distributed import current_group
    from .monitor import resolve_monitor
    from .run_folder import write_run_files

    group = current_group()
    writes = group is None or group.is_main
    monitor, note = resolve_monitor(config.monitor, has_validation)
    if writes:
        write_run_files(paths, {**config.to_dict(), "out": str(paths.last)})
    rec = RunRecorder(paths, monitor, min_delta=config.min_delta,
                      patience=config.early_stopping, title=title, writes=writes)
    rec.notes = [note] if note else []
    return rec, rec.notes  # one list: notes added before training reach the callbacks


def evaluate_best(trainer: Any, recorder: RunRecorder, data: Any) -> tuple[Any, int | None]:
    """Evaluate the test split of ``data`` with the best epoch's weights (read back from the
    best checkpoint when the last epoch is not the best); returns (result or None, the epoch
    whose weights were tested)."""
    from ..checkpoint import load_checkpoint
    from .distributed import current_group
    from .evaluation import evaluate, model_device

    if not len(data.y_test):
        return None, None
    group = current_group()
    if group is not None:
        group.barrier()  # rank 0 has written the best checkpoint the others read
    best = recorder.best_epoch(trainer.history)
    model, tested = trainer.model, trainer.epoch
    if best is not None and best != trainer.epoch and recorder.paths.best.exists():
        model = load_checkpoint(recorder.paths.best, device=model_device(trainer.model)).model
        tested = best
    result = evaluate(model, data.x_test, data.y_test, mean=data.info.mean, std=data.info.std,
                      classes=data.info.classes, group=group)
    return result, tested
