"""Whole training runs from a :class:`TrainConfig`, as ``tgcnn train`` does them: load the data,
carve out the validation split, build the model, optimizer and schedule, train with a
checkpoint per epoch, evaluate on the test split; and resume such a run from its checkpoint.

Example:
    >>> from tinygrad_cnn.training import TrainConfig, train
    >>> result = train(TrainConfig(epochs=1, limit=64, width=0.125, out="tiny.h5"))  # doctest: +SKIP
    >>> result.checkpoint.name, 0.0 <= result.test.accuracy <= 1.0                    # doctest: +SKIP
    ('tiny.h5', True)
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..checkpoint.lock import output_lock
from ..nn.module import Module
from .config import DataInfo, OptionError, TrainConfig, build_optimizer, build_scheduler, \
    builder_kwargs, is_model_file
from .evaluation import EvalResult, evaluate
from .plots import curves_path
from .errors import TrainingInterrupted
from .trainer import Callback, Trainer


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


def _limited_options(spec: str, limit: int | None) -> dict[str, Any]:
    """Generator options that make a built-in dataset only as big as ``limit`` needs."""
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

    splits = load_dataset(config.data, seed=config.seed, **_limited_options(config.data, config.limit))
    x, y = splits.train.x, splits.train.y
    xt, yt = splits.test.x, splits.test.y
    if config.limit is not None:
        x, y, xt, yt = x[:config.limit], y[:config.limit], xt[:config.limit], yt[:config.limit]
    if config.val_split > 0:
        x, y, xv, yv = train_val_split(x, y, config.val_split, seed=config.seed)
    else:
        xv, yv = x[:0], y[:0]
    if len(y) == 0:
        raise DataError(f"{config.data}: no training images left after the validation split; "
                        f"lower --val-split or add images")
    info = DataInfo(dataset=config.data, classes=list(splits.classes),
                    input_shape=[int(s) for s in splits.input_shape],
                    mean=[float(m) for m in splits.mean], std=[float(s) for s in splits.std],
                    pixel_max=float(splits.pixel_max), hflip_ok=bool(splits.hflip_ok),
                    notes=list(splits.notes))
    return PreparedData(x, y, xv, yv, xt, yt, info)


def check_device(device: str) -> str:
    """Normalise ``device`` and make sure it is usable (``cuda`` needs a GPU), else
    :class:`OptionError`.

    Example:
        >>> check_device("CPU")
        'cpu'
    """
    from ..backends import get_backend, normalize_device

    try:
        name = normalize_device(device)
        get_backend(name)
    except (ValueError, RuntimeError, ImportError) as err:
        msg = " ".join(str(err).split())
        raise OptionError("device", f"{device} is not usable ({msg})") from None
    return name


def check_output(path: str | os.PathLike[str]) -> Path:
    """Make sure a checkpoint can be written at ``path``: its folder exists (it is created) and
    is writable, and ``path`` is not a folder; else :class:`OptionError`.

    Example:
        >>> check_output("runs/model.h5").name
        'model.h5'
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise OptionError("out", f"{p} is a folder; pass a file name such as {p / 'model.h5'}")
    folder = p.parent if str(p.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OptionError("out", f"cannot create the folder {folder} ({err.strerror or err}); "
                                 f"choose another --out") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OptionError("out", f"the folder {folder} is not writable; choose another --out")
    if p.exists() and not os.access(p, os.W_OK):
        raise OptionError("out", f"{p} exists and is not writable; choose another --out")
    return p


def build_model(config: TrainConfig, info: DataInfo) -> Module:
    """The model ``config.model`` names, sized for the data (input channels and size, classes),
    checked by one forward pass on a zero image.

    Raises ``ModelNotFoundError`` (unknown builder, with suggestions), ``ConfigError`` (bad
    model file) or :class:`OptionError` (a model that does not fit the data).

    Example:
        >>> info = DataInfo("shapes", list("abcdefghij"), [3, 32, 32], [0.0] * 3, [1.0] * 3)
        >>> build_model(TrainConfig(width=0.125), info)(tg.zeros(1, 3, 32, 32)).shape
        (1, 10)
    """
    import tinygrad_cnn as tg

    from .. import models

    c, h, w = info.input_shape
    k = len(info.classes)
    tg.manual_seed(config.seed)  # the initial weights follow the seed
    if is_model_file(config.model):
        path = Path(config.model)
        if not path.is_file():
            raise OptionError("model", f"model file {config.model} does not exist; pass an "
                                       f"existing JSON/YAML file or a builder name such as vgg11_bn")
        model = models.from_file(path)
    else:
        builder = models.get_builder(config.model, strict=config.strict_plugins or None)
        wanted = {"in_channels": c, "num_classes": k, "input_size": (h, w), "width": config.width,
                  "head": config.head}
        model = builder(**builder_kwargs(builder, wanted))
    check_fits(model, info)
    return model


def check_fits(model: Module, info: DataInfo) -> None:
    """Run a zero image of the data's shape through ``model`` and check it gives one score per
    class; else :class:`OptionError` naming what does not fit.

    Example:
        >>> check_fits(nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), info)  # doctest: +SKIP
    """
    from ..autograd import no_grad
    from ..tensor import Tensor

    k = len(info.classes)
    shape = tuple(info.input_shape)
    try:
        with model.evaluating(), no_grad():
            out = model(Tensor(np.zeros((1, *shape), np.float32)))
    except (ValueError, TypeError, RuntimeError, IndexError) as err:
        msg = " ".join(str(err).split())
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


def _assemble(config: TrainConfig, data: PreparedData, model: Module,
              callbacks: Sequence[Callback], out: Path) -> Trainer:
    from ..data import DataLoader

    loader = DataLoader(data.x_train, data.y_train, batch_size=config.batch_size, shuffle=True,
                        seed=np.random.SeedSequence([config.seed, 1]),
                        normalise=(data.info.mean, data.info.std), augment=config.augment,
                        flip=config.augment and data.info.hflip_ok,
                        # batch norm in training needs two values per channel: a trailing
                        # batch of one image would fail (PyTorch's loaders drop it too)
                        drop_last=len(data.y_train) % config.batch_size == 1)
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.lr,
                                config.momentum, config.weight_decay)
    scheduler = build_scheduler(config.schedule, optimizer, config.epochs)
    metadata = {**data.info.to_metadata(), "train_config": config.to_dict()}
    return Trainer(model, optimizer, loader, epochs=config.epochs, scheduler=scheduler,
                   val=(data.x_val, data.y_val) if len(data.y_val) else None,
                   normalise=(data.info.mean, data.info.std), checkpoint_path=out,
                   metadata=metadata, callbacks=callbacks, seed=config.seed)


def train(config: TrainConfig, *, callbacks: Sequence[Callback] = (),
          data: PreparedData | None = None) -> TrainResult:
    """Run ``config`` from scratch: returns the history, best epoch and test figures; the
    checkpoint (``config.out``) is written after every epoch, the curves PNG beside it.

    Raises :class:`OptionError`, ``DataError``, ``ModelNotFoundError``/``ConfigError``,
    ``CheckpointError``, :class:`TrainingInterrupted` or :class:`NonFiniteLossError`.
    """
    from ..layers import set_strict

    started = time.perf_counter()
    config.validate()
    if config.strict_plugins:
        set_strict(True)
    device = check_device(config.device)
    out = check_output(config.out)
    with output_lock(out):  # one writer per --out for the whole run
        data = data if data is not None else prepare_data(config)
        model = build_model(config, data.info).to(device)
        trainer = _assemble(config, data, model, callbacks, out)
        return _run(trainer, config, data, started, None)


def _run(trainer: Trainer, config: TrainConfig, data: PreparedData, started: float,
         resumed_from: int | None) -> TrainResult:
    history = trainer.fit()
    if trainer.epoch > 0 and trainer._saved_epoch != trainer.epoch:
        trainer.save()  # nothing was left to train: a resumed run that had reached --epochs
    test = None
    finished = TrainingInterrupted(str(trainer.checkpoint_path), trainer.epoch, 0,
                                   finished=True)
    if trainer._stop_requested:  # Ctrl-C during the last epoch's validation or save
        raise finished
    try:
        if len(data.y_test):
            test = evaluate(trainer.model, data.x_test, data.y_test, mean=data.info.mean,
                            std=data.info.std, classes=data.info.classes)
    except KeyboardInterrupt:
        raise finished from None
    return TrainResult(history, trainer.best_epoch, test, Path(trainer.checkpoint_path),
                       curves_path(trainer.checkpoint_path), config,
                       time.perf_counter() - started, resumed_from, data.info, list(data.info.notes))


def resume(checkpoint: str | os.PathLike[str], *, epochs: int | None = None,
           out: str | os.PathLike[str] | None = None, device: str | None = None,
           callbacks: Sequence[Callback] = (), changes: Mapping[str, Any] | None = None
           ) -> TrainResult:
    """Continue the run saved in ``checkpoint`` exactly where it stopped (same data, split,
    optimizer state, schedule, random streams), up to ``epochs`` (default: the run's own).

    ``out`` (default: the checkpoint itself) and ``device`` may change; ``changes`` lists
    other settings the caller asked for: any that differ from the run's raise
    :class:`OptionError` (they would make the run a different one).

    Example:
        >>> result = resume("model.h5", epochs=12)                # doctest: +SKIP
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
    config = stored.replace(epochs=int(epochs) if epochs is not None else stored.epochs,
                            out=str(out) if out is not None else str(checkpoint),
                            device=device if device is not None else stored.device)
    config.validate()
    check_device(config.device)
    done = int(meta.get("epoch", 0))
    if config.epochs < done:
        raise OptionError("epochs", f"the checkpoint has already trained {done} epochs; pass "
                                    f"--epochs {done} or more")
    target = check_output(config.out)
    with output_lock(target):  # one writer per --out for the whole run
        return _resume(ckpt.model, meta, ckpt.optimizer_state, ckpt.scheduler_state, stored,
                       config, target, done, callbacks, started, checkpoint)


def _resume(model: Module, meta: Mapping[str, Any], optimizer_state: Any, scheduler_state: Any,
            stored: TrainConfig, config: TrainConfig, target: Path, done: int,
            callbacks: Sequence[Callback], started: float, checkpoint: Any) -> TrainResult:
    dev = check_device(config.device)
    data = prepare_data(config)
    info = DataInfo.from_metadata(meta)
    if info.input_shape != data.info.input_shape or info.classes != data.info.classes:
        raise OptionError("resume", "the data no longer matches the checkpoint (input shape or "
                                    "classes changed); resume with the same data")
    data.info = info  # keep the run's own normalisation, bit for bit
    trainer = _assemble(config, data, model.to(dev), callbacks, target)
    same_length = config.epochs == stored.epochs
    try:
        trainer.load_state(meta, optimizer_state, scheduler_state,
                           restore_scheduler=same_length)
    except Exception as err:  # noqa: BLE001 - any malformed state: one line, nothing lost
        from ..checkpoint import CheckpointError

        raise CheckpointError(" ".join(f"{checkpoint}: its training state cannot be restored "
                                       f"({err}); start a new run".split())) from None
    if not same_length and trainer.scheduler is not None:
        # a longer (or shorter) run: the schedule is rebuilt for the new length and brought
        # to the same epoch (``_assemble`` built it before the optimizer state was loaded)
        trainer.scheduler = build_scheduler(config.schedule, trainer.optimizer, config.epochs)
        for _ in range(done):
            trainer.scheduler.step()
    return _run(trainer, config, data, started, done)
