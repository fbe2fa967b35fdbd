"""Whole training runs from a :class:`TrainConfig`, as ``tgcnn train`` does them: load the data,
carve out the validation split, build the model, optimizer and schedule, train with a
checkpoint per epoch, evaluate on the test split; and resume such a run from its checkpoint.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.training import TrainConfig, train
    >>> out = Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> result = train(TrainConfig(epochs=1, limit=64, width=0.125, out=str(out)))
    >>> result.checkpoint.name, 0.0 <= result.test.accuracy <= 1.0
    ('tiny.h5', True)
    >>> train(TrainConfig(epochs=1, limit=64)).paths.folder.as_posix()                # doctest: +SKIP
    'runs/train/shapes-1'
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import one_line
from ..nn.module import Module
from .distributed import bind_device, decided_by_main, note_world_change, \
    parallelize, world_size, writer_lock
from ..data.dataset import DataInfo
from .config import OptionError, TrainConfig, build_optimizer, build_scheduler, \
    builder_kwargs, is_model_file
from .checks import check_device, check_model
from .data_checks import class_notes, limit_notes
from .evaluation import EvalResult
from .recorder import RunRecorder, evaluate_best, start_recorder
from .resume_rules import RUN_OPTIONS, resume_paths, schedule_note
from .errors import TrainingInterrupted
from .run_folder import RunPaths, plan_paths
from .callbacks import Callback
from .trainer import Trainer


@dataclass
class PreparedData:
    """The splits of a run: training (after the validation split), validation and test images
    in dataset units, with the labels, and what a checkpoint records about them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DataInfo


def limited_options(spec: str, limit: int | None) -> dict[str, Any]:
    """Generator options that make a built-in dataset only as big as ``limit`` needs.

    Example:
        >>> limited_options("shapes", 40), limited_options("npz:x.npz", 40)
        ({'n_train': 40, 'n_test': 40}, {})
    """
    from ..data import parse_spec

    kind, _ = parse_spec(spec)
    if limit is not None and "n_train" in kind.options:
        return {"n_train": int(limit), "n_test": int(limit)}
    return {}


def prepare_data(config: TrainConfig) -> PreparedData:
    """Load ``config.data`` (seeded by ``config.seed``), keep ``config.limit`` images of each
    split, and carve the validation split out of the training split (stratified, seeded).

    Raises :class:`~tinygrad_cnn.data.DataError` for data problems.

    Example:
        >>> d = prepare_data(TrainConfig(limit=40, val_split=0.25))
        >>> len(d.y_train), len(d.y_val), d.info.input_shape
        (30, 10, [3, 32, 32])
    """
    from ..data import DataError, load_dataset, train_val_split

    splits = load_dataset(config.data, seed=config.seed, **limited_options(config.data, config.limit))
    x, y = splits.train.x, splits.train.y
    xt, yt = splits.test.x, splits.test.y
    notes = limit_notes(config.limit, len(y), len(yt))
    if config.limit is not None:
        x, y, xt, yt = x[:config.limit], y[:config.limit], xt[:config.limit], yt[:config.limit]
    notes += class_notes(y, splits.classes)
    if config.val_split > 0:
        x, y, xv, yv = train_val_split(x, y, config.val_split, seed=config.seed)
    else:
        xv, yv = x[:0], y[:0]
    if len(y) == 0:
        raise DataError(f"{config.data}: no training images left after the validation split; "
                        f"lower `val_split=` or add images")
    info = dataclasses.replace(splits.info, dataset=config.data, classes=list(splits.classes),
                               notes=list(splits.notes) + notes)
    return PreparedData(x, y, xv, yv, xt, yt, info)


def build_model(config: TrainConfig, info: DataInfo) -> Module:
    """The model ``config.model`` names, sized for the data (input channels and size, classes),
    checked by one forward pass on a zero image.

    Raises ``ModelNotFoundError`` (unknown builder, with suggestions), ``ConfigError`` (bad
    model file) or :class:`OptionError` (a model that does not fit the data).

    Example:
        >>> import tinygrad_cnn as tg
        >>> info = DataInfo("shapes", list("abcdefghij"), [3, 32, 32], [0.0] * 3, [1.0] * 3)
        >>> build_model(TrainConfig(width=0.125), info)(tg.zeros(1, 3, 32, 32)).shape
        (1, 10)
    """
    import tinygrad_cnn as tg

    from .. import models

    c, h, w = info.input_shape
    k = len(info.classes)
    tg.manual_seed(config.seed)  # the initial weights follow the seed
    if config.init:
        return _initial_model(config.init, info)
    if is_model_file(config.model):
        check_model(config.model)
        model = models.from_file(Path(config.model))
    else:
        builder = models.get_builder(config.model, strict=config.strict_plugins or None)
        wanted = {"in_channels": c, "num_classes": k, "input_size": (h, w), "width": config.width,
                  "head": config.head}
        model = builder(**builder_kwargs(builder, wanted))
    check_fits(model, info)
    return model


def _initial_model(path: str, info: DataInfo) -> Module:
    """The model saved in checkpoint ``path`` with its weights (``--init``), checked against
    the data."""
    from ..checkpoint import load_checkpoint

    if not Path(path).is_file():
        raise OptionError("init", f"{path} does not exist; pass a checkpoint file")
    model = load_checkpoint(path, device="cpu").model
    try:
        check_fits(model, info)
    except OptionError as err:
        raise OptionError("init", f"{path}: {err.detail}") from None
    return model


def check_fits(model: Module, info: DataInfo) -> None:
    """Run a zero image of the data's shape through ``model`` and check it gives one score per
    class; else :class:`OptionError` naming what does not fit.

    Example:
        >>> from tinygrad_cnn import nn
        >>> info = DataInfo("toy", ["a", "b"], [3, 2, 2], [0.0] * 3, [1.0] * 3)
        >>> check_fits(nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), info)
        >>> try:
        ...     check_fits(nn.Sequential(nn.Flatten(), nn.Linear(12, 5)), info)
        ... except OptionError as err:
        ...     print(err)
        model: the model outputs shape (5,) per image but the data has 2 classes; make its last
        layer output 2 values
    """
    from ..autograd import no_grad
    from ..tensor import Tensor

    k = len(info.classes)
    shape = tuple(info.input_shape)
    try:
        with model.evaluating(), no_grad():
            out = model(Tensor(np.zeros((1, *shape), np.float32)))
    except (ValueError, TypeError, RuntimeError, IndexError) as err:
        msg = one_line(err)
        raise OptionError("model", f"the model does not accept {shape[0]}x{shape[1]}x{shape[2]} "
                                   f"images of the data: {msg}") from None
    if tuple(out.shape) != (1, k):
        raise OptionError("model", f"the model outputs shape {tuple(out.shape[1:])} per image but the "
                                   f"data has {k} classes; make its last layer output {k} values")


def _data_signature(config: TrainConfig) -> dict[str, Any]:
    """Settings that must not change when a run is resumed (they change the data or the math)."""
    keep = ("model", "data", "batch_size", "optimizer", "lr", "momentum", "weight_decay",
            "schedule", "augment", "val_split", "seed", "width", "head", "limit")
    return {k: getattr(config, k) for k in keep}


@dataclass
class TrainResult:
    """What a run produced: history, best epoch, test figures, files written."""

    history: list[dict[str, Any]]
    best_epoch: int | None
    test: EvalResult | None
    checkpoint: Path
    curves: Path
    config: TrainConfig
    seconds: float
    resumed_from: int | None = None
    info: DataInfo | None = None
    notes: list[str] = field(default_factory=list)
    # the run's files and what was tested (training/run_folder.py, training/recorder.py)
    paths: RunPaths | None = None
    tested_epoch: int | None = None
    stopped_at: int | None = None
    monitor: str | None = None
    run_notes: list[str] = field(default_factory=list)


def _assemble(config: TrainConfig, data: PreparedData, model: Module,
              callbacks: Sequence[Callback], out: Path, recorder: RunRecorder) -> Trainer:
    from ..data import DataLoader
    from ..data.distributed import drop_last_for

    loader = DataLoader(data.x_train, data.y_train, batch_size=config.batch_size, shuffle=True,
                        seed=np.random.SeedSequence([config.seed, 1]),
                        normalise=(data.info.mean, data.info.std), augment=config.augment,
                        flip=config.augment and data.info.hflip_ok,
                        # batch norm in training needs two values per channel: a trailing
                        # batch of one image per process would fail (PyTorch's loaders drop
                        # it too); --batch-size is the global batch, shared by the processes
                        drop_last=drop_last_for(len(data.y_train), config.batch_size,
                                                world_size(), min_per_rank=2))
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.lr,
                                config.momentum, config.weight_decay)
    scheduler = build_scheduler(config.schedule, optimizer, config.epochs)
    metadata = {**data.info.to_metadata(), "train_config": config.to_dict(),
                "world_size": world_size()}
    return Trainer(model, optimizer, loader, epochs=config.epochs, scheduler=scheduler,
                   val=(data.x_val, data.y_val) if len(data.y_val) else None,
                   normalise=(data.info.mean, data.info.std), checkpoint_path=out,
                   metadata=metadata, callbacks=[recorder, *callbacks], seed=config.seed,
                   curves=False, best_rule=recorder.best_epoch)


def _recorder(config: TrainConfig, data: PreparedData, paths: RunPaths
              ) -> tuple[RunRecorder, list[str]]:
    title = f"{config.model} on {data.info.dataset or config.data}"
    return start_recorder(config, paths, len(data.y_val) > 0, title)


def train(config: TrainConfig, *, callbacks: Sequence[Callback] = (),
          data: PreparedData | None = None,
          on_data: Callable[[PreparedData], None] | None = None) -> TrainResult:
    """Run ``config`` from scratch: returns the history, best epoch and test figures (of the
    best epoch's weights). The run's files (:mod:`~tinygrad_cnn.training.run_folder`) go to a
    fresh folder ``config.project/<name>-N`` or, with ``config.out``, beside that checkpoint
    (an existing one is replaced only with ``config.overwrite``); the last checkpoint is
    written after every epoch, ``best`` when the monitored metric improves.

    The settings, device, model name and output path are checked before the data is loaded
    (or ``data`` used); ``on_data`` is then called with the data, before the model is built.

    Raises :class:`OptionError`, ``DataError``, ``ModelNotFoundError``/``ConfigError``,
    ``CheckpointError``, :class:`TrainingInterrupted` or :class:`NonFiniteLossError`.
    """
    from ..layers import set_strict

    started = time.perf_counter()
    config.validate()
    if config.strict_plugins:
        set_strict(True)
    bind_device(config.device)
    device = check_device(config.device)
    if not config.init:
        check_model(config.model)
    plan_paths(config.out, config.project, config.name, config.data, config.overwrite,
               create=False)  # before spending time on data and compilation
    data = data if data is not None else prepare_data(config)
    if on_data is not None:
        on_data(data)
    model = parallelize(build_model(config, data.info).to(device), config.sync_bn)
    paths = decided_by_main(lambda: plan_paths(config.out, config.project, config.name,
                                               config.data, config.overwrite))
    with writer_lock(paths.last):  # one writer per checkpoint for the whole run
        recorder, notes = _recorder(config, data, paths)
        trainer = _assemble(config, data, model, callbacks, paths.last, recorder)
        return _run(trainer, config, data, started, None, recorder, notes)


def _run(trainer: Trainer, config: TrainConfig, data: PreparedData, started: float,
         resumed_from: int | None, recorder: RunRecorder, notes: list[str]) -> TrainResult:
    if not recorder.check_stopped(trainer):  # a resumed run that had stopped early stays so
        trainer.fit()
        recorder.finish(trainer)
    history = trainer.history
    if trainer.epoch > 0 and trainer._saved_epoch != trainer.epoch:
        trainer.save()  # nothing was left to train: a resumed run that had reached --epochs
    finished = TrainingInterrupted(str(trainer.checkpoint_path), trainer.epoch, 0,
                                   finished=True)
    if trainer._stop_requested:  # Ctrl-C during the last epoch's validation or save
        raise finished
    try:
        test, tested = evaluate_best(trainer, recorder, data)
    except KeyboardInterrupt:
        raise finished from None
    return TrainResult(history, trainer.best_epoch, test, recorder.paths.last,
                       recorder.paths.curves, config, time.perf_counter() - started,
                       resumed_from, data.info, list(data.info.notes), paths=recorder.paths,
                       tested_epoch=tested, stopped_at=recorder.stopped_at,
                       monitor=recorder.monitor, run_notes=notes)


def resume(checkpoint: str | os.PathLike[str], *, epochs: int | None = None,
           out: str | os.PathLike[str] | None = None, device: str | None = None,
           callbacks: Sequence[Callback] = (), changes: Mapping[str, Any] | None = None
           ) -> TrainResult:
    """Continue the run saved in ``checkpoint`` exactly where it stopped (same data, split,
    optimizer state, schedule, random streams), up to ``epochs`` (default: the run's own).

    ``out`` (default: the run's own last checkpoint: ``last.h5`` of a run folder, else the
    checkpoint itself) and ``device`` may change; ``changes`` lists
    other settings the caller asked for: any that differ from the run's raise
    :class:`OptionError` (they would make the run a different one).

    Example:
        >>> import tempfile; from pathlib import Path
        >>> out = Path(tempfile.mkdtemp()) / "model.h5"
        >>> _ = train(TrainConfig(epochs=1, limit=32, width=0.125, out=str(out)))
        >>> result = resume(out, epochs=2)
        >>> result.resumed_from, [r["epoch"] for r in result.history]
        (1, [1, 2])
    """
    from ..checkpoint import load_checkpoint
    from ..layers import set_strict

    started = time.perf_counter()
    if changes and changes.get("strict_plugins"):
        set_strict(True)
    from .metadata import check_metadata

    ckpt = load_checkpoint(checkpoint, device="cpu")
    meta = ckpt.metadata
    check_metadata(meta, str(checkpoint), need_data=False)
    if "train_config" not in meta or "loader_state" not in meta:
        raise OptionError("resume", f"{checkpoint} holds no training state (not written by "
                                    f"tgcnn train); start a new run instead")
    stored = TrainConfig.from_dict(meta["train_config"])
    for key, value in dict(changes or {}).items():
        if key in _data_signature(stored) and getattr(stored, key) != value:
            raise OptionError(key, f"cannot change when resuming (the run used "
                                   f"{getattr(stored, key)!r}, got {value!r}); drop the option "
                                   f"or start a new run")
    paths, overwrite = resume_paths(checkpoint, out, changes)
    config = stored.replace(epochs=int(epochs) if epochs is not None else stored.epochs,
                            out=str(paths.last), overwrite=overwrite,
                            device=device if device is not None else stored.device,
                            **{k: v for k, v in dict(changes or {}).items() if k in RUN_OPTIONS})
    config.validate()
    bind_device(config.device)
    device = check_device(config.device)
    done = int(meta.get("epoch", 0))
    if config.epochs < done:
        raise OptionError("epochs", f"the checkpoint has already trained {done} epochs; pass "
                                    f"`epochs={done}` or more")
    with writer_lock(paths.last):  # one writer per checkpoint for the whole run
        return _resume(ckpt.model, meta, ckpt.optimizer_state, ckpt.scheduler_state, stored,
                       config, paths, done, callbacks, started, checkpoint, device)


def _resume(model: Module, meta: Mapping[str, Any], optimizer_state: Any, scheduler_state: Any,
            stored: TrainConfig, config: TrainConfig, paths: RunPaths, done: int,
            callbacks: Sequence[Callback], started: float, checkpoint: Any, dev: str
            ) -> TrainResult:
    data = prepare_data(config)
    info = DataInfo.from_metadata(meta)
    if info.input_shape != data.info.input_shape or info.classes != data.info.classes:
        raise OptionError("resume", "the data no longer matches the checkpoint (input shape or "
                                    "classes changed); resume with the same data")
    data.info = info  # keep the run's own normalisation, bit for bit
    note_world_change(meta.get("world_size", 1), config.batch_size)
    recorder, notes = _recorder(config, data, paths)
    trainer = _assemble(config, data, parallelize(model.to(dev), config.sync_bn), callbacks,
                        paths.last, recorder)
    same_length = config.epochs == stored.epochs
    try:
        trainer.load_state(meta, optimizer_state, scheduler_state,
                           restore_scheduler=same_length)
    except Exception as err:  # noqa: BLE001 - any malformed state: one line, nothing lost
        from ..checkpoint import CheckpointError

        raise CheckpointError(one_line(f"{checkpoint}: its training state cannot be restored "
                                       f"({err}); start a new run")) from None
    if not same_length and trainer.scheduler is not None:
        # a longer (or shorter) run: the schedule is rebuilt for the new length and brought
        # to the same epoch (``_assemble`` built it before the optimizer state was loaded)
        before = float(trainer.optimizer.param_groups[0]["lr"])
        trainer.scheduler = build_scheduler(config.schedule, trainer.optimizer, config.epochs)
        for _ in range(done):
            trainer.scheduler.step()
        notes.append(schedule_note(config.schedule, stored.epochs, config.epochs, done + 1,
                                   before, float(trainer.optimizer.param_groups[0]["lr"])))
    return _run(trainer, config, data, started, done, recorder, notes)
