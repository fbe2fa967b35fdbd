"""``tgcnn train``'s run options (files, best epoch, early stopping, JSON) and what it prints
about a run: the first-run kernel compilation, one JSON object per epoch (``--json``), and
the final block (best epoch, what was tested, where the files went).

Example:
    >>> reporter = JsonReporter()
    >>> reporter.on_epoch_end(None, {"epoch": 1, "train_loss": 0.5})
    {"event": "epoch", "epoch": 1, "train_loss": 0.5}
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import click

from tinygrad_cnn.training import Callback
from tinygrad_cnn.training.config import TrainConfig
from tinygrad_cnn.training.monitor import MONITORS

_D = TrainConfig()


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``tgcnn train`` with the options of a run's files and stopping."""
    options = [
        click.option("--project", default=_D.project, show_default=True,
                     help="Folder of the run folders (without --out)."),
        click.option("--name", default=None,
                     help="Run name: files go to PROJECT/NAME-N, the first free N "
                          "[default: the dataset kind, e.g. shapes]."),
        click.option("--overwrite", is_flag=True, default=False,
                     help="Allow --out (or --resume of a best.h5) to replace an existing "
                          "checkpoint."),
        click.option("--monitor", type=click.Choice(list(MONITORS), case_sensitive=False),
                     default=_D.monitor, show_default=True,
                     help="Metric choosing the best epoch (best.h5, the weights tested at "
                          "the end) and early stopping."),
        click.option("--early-stopping", type=click.IntRange(min=1), default=None,
                     metavar="PATIENCE",
                     help="Stop after PATIENCE epochs without improvement of --monitor."),
        click.option("--min-delta", type=click.FloatRange(min=0), default=_D.min_delta,
                     show_default=True,
                     help="Smallest change of --monitor that counts as an improvement "
                          "(accuracies as fractions: 0.01 = 1 point)."),
        click.option("--json", "json_lines", is_flag=True, default=False,
                     help="Print one JSON object per epoch and one for the result on stdout "
                          "(messages go to stderr)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _json(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj))


class JsonReporter(Callback):
    """``--json``: one line ``{"event": "epoch", ...the history record}`` per epoch."""

    def on_epoch_end(self, trainer: Any, record: dict[str, Any]) -> None:
        _json({"event": "epoch", **record})

    def close(self) -> None:
        """Nothing to close (same interface as the console reporter)."""


class CompileNotice(Callback):
    """Say that the CPU kernels are being compiled (when Numba's cache lacks them) and how
    long it took until the first batch was done, instead of a silent pause: :meth:`start`
    before the model is built (its shape check already compiles the forward kernels)."""

    def __init__(self, device: str, err: bool = False) -> None:
        self.err = err
        self.active = device == "cpu" and not _kernels_cached()
        self._started: float | None = None
        self.first_batch_s: float | None = None

    def start(self) -> None:
        """Print the notice and start the clock (nothing when the kernels are cached)."""
        if self.active and self._started is None:
            click.echo("compiling the CPU kernels (first run only, tens of seconds on 2 cores; "
                       "python -m tinygrad_cnn.warmup does it ahead)...", err=self.err)
            self._started = time.perf_counter()

    def on_batch_end(self, trainer: Any, epoch: int, batch: int, num_batches: int, loss: float,
                     accuracy: float, images_per_s: float) -> None:
        if self._started is not None and self.first_batch_s is None:
            self.first_batch_s = time.perf_counter() - self._started

    def on_epoch_end(self, trainer: Any, record: dict[str, Any]) -> None:
        if self.active and self.first_batch_s is not None:
            click.echo(f"kernels compiled: {self.first_batch_s:.1f}s from the start to the end "
                       f"of the first batch", err=self.err)
            self.active = False


class RunNotes(Callback):
    """Print the run's notes (monitored metric, re-planned schedule) before its first epoch."""

    def __init__(self, err: bool = False) -> None:
        self.err = err
        self.shown = False

    def on_epoch_start(self, trainer: Any, epoch: int, num_batches: int, start_batch: int
                       ) -> None:
        if self.shown:
            return
        from tinygrad_cnn.training.recorder import RunRecorder

        self.shown = True
        for cb in getattr(trainer, "callbacks", ()):
            if isinstance(cb, RunRecorder):
                for note in cb.notes:
                    click.echo(f"note: {note}", err=self.err)


def _kernels_cached() -> bool:
    from tinygrad_cnn.warmup import kernels_cached

    try:
        return kernels_cached()
    except Exception:  # an unknown Numba layout: say nothing rather than fail the run
        return True


def plural(n: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``.

    Example:
        >>> plural(1, "epoch"), plural(3, "image"), plural(2, "class")
        ('1 epoch', '3 images', '2 classes')
    """
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


def result_lines(result: Any, notes_shown: bool = False) -> list[str]:
    """The final block of ``tgcnn train``: notes (unless already shown), early stop, best
    epoch, test figures (and which weights), files."""
    lines = [] if notes_shown else [f"note: {n}" for n in result.run_notes]
    if result.stopped_at is not None:
        lines.append(f"early stopping: no improvement of {result.monitor} for "
                     f"{plural(result.config.early_stopping, 'epoch')}; stopped after epoch "
                     f"{result.stopped_at}")
    if result.best_epoch is not None and result.history:
        best = next(r for r in result.history if r["epoch"] == result.best_epoch)
        key = result.monitor or "val_loss"
        value = best.get(key)
        shown = (f"{100 * value:.2f}%" if key.endswith("acc") else f"{value:.4f}") \
            if value is not None else "n/a"
        lines.append(f"best epoch: {result.best_epoch} ({key.replace('_', ' ')} {shown})")
    if result.test is not None:
        which = "last epoch" if result.tested_epoch == (result.history[-1]["epoch"]
                                                       if result.history else None) \
            else "best epoch"
        lines.append(f"test accuracy ({which} {result.tested_epoch}): "
                     f"{100 * result.test.accuracy:.2f}% (loss {result.test.loss:.4f}, "
                     f"{plural(result.test.num_examples, 'image')})")
    paths = result.paths
    if paths is not None and paths.folder is not None:
        lines.append(f"run files: {paths.folder}/ (last.h5, best.h5, metrics.csv, curves.png, "
                     f"config.json, resume.txt)")
    lines.append(f"checkpoint: {result.checkpoint} (curves: {result.curves}), "
                 f"{result.seconds:.1f}s")
    if paths is not None:
        from tinygrad_cnn.training.run_folder import resume_command

        lines.append(f"to train further: {resume_command(paths)} --epochs N")
    return lines


def result_json(result: Any) -> dict[str, Any]:
    """The final ``--json`` object."""
    paths = result.paths
    test = result.test
    return {"event": "result", "best_epoch": result.best_epoch, "monitor": result.monitor,
            "tested_epoch": result.tested_epoch, "stopped_early_at": result.stopped_at,
            "test_accuracy": None if test is None else test.accuracy,
            "test_loss": None if test is None else test.loss,
            "test_images": None if test is None else test.num_examples,
            "files": None if paths is None else {
                k: str(getattr(paths, k)) for k in ("last", "best", "metrics", "curves",
                                                     "config", "resume")},
            "notes": list(result.run_notes), "seconds": result.seconds}


def print_result(result: Any, json_lines: bool, notes_shown: bool = False) -> None:
    """Print the end of a run, as text or as the final JSON object (its notes on stderr)."""
    if json_lines:
        _json(result_json(result))
        for line in result_lines(result, notes_shown):
            if line.startswith("note:"):
                click.echo(line, err=True)
        return
    for line in result_lines(result, notes_shown):
        click.echo(line)


def echo_for(json_lines: bool) -> Callable[[str], None]:
    """Where plain messages go: stdout, or stderr when stdout carries JSON."""
    return (lambda text: click.echo(text, err=True)) if json_lines else click.echo
