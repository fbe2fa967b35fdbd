"""A training run's settings (:class:`TrainConfig`, the options of ``tgcnn train``) and the
builders they name: optimizer, learning-rate schedule, model.

Every bad value raises :class:`OptionError` naming the option, so the CLI can print it as a
usage error (exit 2).

Example:
    >>> cfg = TrainConfig(epochs=3, lr=0.1)
    >>> cfg.validate().epochs
    3
    >>> parse_schedule("step:5:0.5")
    ('step', {'step_size': 5, 'gamma': 0.5})
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..backends import DEVICES, normalize_device
from ..data.dataset import DataInfo  # noqa: F401 - the data record, owned by data/
from ..errors import OptionError

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULE_HELP = ("none | step[:EVERY[:GAMMA]] | cosine | warmup-cosine[:WARMUP_EPOCHS]")


@dataclass
class TrainConfig:
    """Settings of a training run; the defaults are ``tgcnn train``'s main job (a small VGG
    with batch norm on the built-in ``shapes`` dataset, >= 95 % test accuracy).

    ``model`` is a builder name (``vgg11_bn``) or a JSON/YAML model file; ``width`` and
    ``head`` go to builders that take them. ``limit`` keeps only the first N training and N
    test images (quick trials, tests). ``val_split`` is carved out of the training split.
    ``init`` names a checkpoint (e.g. from ``tgcnn import``) whose model and weights replace
    the freshly built ``model`` (fine-tuning).
    """

    model: str = "vgg11_bn"
    data: str = "shapes"
    epochs: int = 8
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    augment: bool = True
    val_split: float = 0.1
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    width: float = 0.125
    head: str = "small"
    limit: int | None = None
    strict_plugins: bool = False
    init: str | None = None  # start from this checkpoint's model and weights (fine-tuning)
    sync_bn: bool = False  # under mpiexec: batch norm over the global batch (SyncBatchNorm)
    # the run's files and stopping (see training/run_folder.py and training/monitor.py)
    project: str = "runs/train"
    name: str | None = None
    overwrite: bool = False
    monitor: str = "val_loss"
    early_stopping: int | None = None
    min_delta: float = 0.0

    def validate(self) -> "TrainConfig":
        """Check every value; returns ``self`` (raises :class:`OptionError`).

        Example:
            >>> TrainConfig(batch_size=0).validate()
            Traceback (most recent call last):
            ...
            tinygrad_cnn.errors.OptionError: batch_size: must be a positive integer, got 0
        """
        for name in ("epochs", "batch_size"):
            _positive_int(name, getattr(self, name))
        if self.limit is not None:
            _positive_int("limit", self.limit)
        _positive_real("lr", self.lr)
        _positive_real("width", self.width)
        _nonneg_real("weight_decay", self.weight_decay)
        _nonneg_real("momentum", self.momentum)
        if self.momentum >= 1:
            raise OptionError("momentum", f"must be in [0, 1), got {self.momentum}")
        if not isinstance(self.val_split, (int, float)) or not 0 <= self.val_split < 1:
            raise OptionError("val_split", f"must be in [0, 1), got {self.val_split!r}; e.g. 0.1")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise OptionError("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, got "
                                           f"{self.optimizer!r}")
        self.optimizer = self.optimizer.lower()
        try:
            normalize_device(self.device)
        except ValueError:
            raise OptionError("device", f"must be one of {', '.join(DEVICES)}, got "
                                        f"{self.device!r}") from None
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise OptionError("seed", f"must be a non-negative integer, got {self.seed!r}")
        parse_schedule(self.schedule, self.epochs)
        if not str(self.model).strip():
            raise OptionError("model", "is empty; pass a builder name such as vgg11_bn or a "
                                       "model file")
        if self.out is not None and not str(self.out).strip():
            raise OptionError("out", "is empty; pass a file name such as model.h5")
        self._validate_run_options()
        return self

    def _validate_run_options(self) -> None:
        from .monitor import check_monitor

        try:
            self.monitor = check_monitor(self.monitor)
        except ValueError as err:
            raise OptionError("monitor", str(err)) from None
        if self.early_stopping is not None:
            _positive_int("early_stopping", self.early_stopping)
        _nonneg_real("min_delta", self.min_delta)
        if not str(self.project).strip():
            raise OptionError("project", "is empty; pass a folder such as runs/train")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings (what checkpoints store under ``train_config``).

        Example:
            >>> TrainConfig().to_dict()["optimizer"]
            'sgd'
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Build from a dict, ignoring unknown keys (a newer writer's extras).

        Example:
            >>> TrainConfig.from_dict({"lr": 0.5, "future_option": 1}).lr
            0.5
        """
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def _positive_int(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise OptionError(name, f"must be a positive integer, got {v!r}")


def _positive_real(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise OptionError(name, f"must be a positive number, got {v!r}")


def _nonneg_real(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise OptionError(name, f"must be a non-negative number, got {v!r}")


def parse_schedule(spec: str, epochs: int | None = None) -> tuple[str, dict[str, Any]]:
    """Parse a schedule name: ``none``, ``step[:EVERY[:GAMMA]]`` (default every third of the
    run, gamma 0.1), ``cosine`` or ``warmup-cosine[:WARMUP_EPOCHS]`` (default 1).

    Example:
        >>> parse_schedule("warmup-cosine:2", epochs=10)
        ('warmup-cosine', {'warmup_epochs': 2})
        >>> parse_schedule("cosine")
        ('cosine', {})
    """
    text = str(spec).strip().lower().replace("_", "-")
    name, *args = text.split(":") if text else [""]
    bad = OptionError("schedule", f"unknown schedule {spec!r}; use {SCHEDULE_HELP}")
    try:
        if name in ("none", "constant", "") and not args:
            return "none", {}
        if name == "cosine" and not args:
            return "cosine", {}
        if name == "step" and len(args) <= 2:
            every = int(args[0]) if args else max(1, (epochs or 3) // 3)
            gamma = float(args[1]) if len(args) > 1 else 0.1
            if every < 1 or not 0 < gamma <= 1:
                raise OptionError("schedule", f"{spec!r}: EVERY must be >= 1 and GAMMA in (0, 1]")
            return "step", {"step_size": every, "gamma": gamma}
        if name in ("warmup-cosine", "warmup") and len(args) <= 1:
            warm = int(args[0]) if args else 1
            if warm < 0:
                raise OptionError("schedule", f"{spec!r}: WARMUP_EPOCHS must be >= 0")
            return "warmup-cosine", {"warmup_epochs": warm}
    except ValueError as err:
        if isinstance(err, OptionError):
            raise
        raise bad from None
    raise bad


def build_optimizer(name: str, params: Iterable[Any], lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0) -> Any:
    """``sgd`` (Nesterov momentum when ``momentum`` > 0), ``adam`` or ``adamw``; for the Adams
    ``momentum`` is beta1.

    Example:
        >>> from tinygrad_cnn import nn
        >>> type(build_optimizer("adamw", nn.Linear(2, 2).parameters(), 1e-3)).__name__
        'AdamW'
    """
    from .. import optim

    name = name.lower()
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                         nesterov=momentum > 0)
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)
    raise OptionError("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def build_scheduler(spec: str, optimizer: Any, epochs: int) -> Any:
    """The schedule named by ``spec`` (see :func:`parse_schedule`) over ``epochs``, or None.

    A warm-up as long as the run (or longer) is shortened to leave one cosine epoch.

    Example:
        >>> from tinygrad_cnn import nn, optim
        >>> opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
        >>> build_scheduler("none", opt, 5) is None
        True
        >>> type(build_scheduler("warmup-cosine:1", opt, 5)).__name__
        'SequentialLR'
    """
    from ..optim import lr_scheduler as S

    kind, args = parse_schedule(spec, epochs)
    if kind == "none":
        return None
    if kind == "step":
        return S.StepLR(optimizer, **args)
    if kind == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs)
    warm = min(args["warmup_epochs"], epochs - 1)
    return S.warmup_cosine(optimizer, warmup_epochs=max(warm, 0), total_epochs=epochs)


def is_model_file(model: str) -> bool:
    """Whether ``--model`` names a file (JSON/YAML suffix or an existing file) rather than a
    registered builder.

    Example:
        >>> is_model_file("net.json"), is_model_file("vgg11")
        (True, False)
    """
    text = str(model)
    return text.lower().endswith((".json", ".yaml", ".yml")) or os.sep in text \
        or Path(text).is_file()


def builder_kwargs(builder: Any, wanted: Mapping[str, Any], required: Iterable[str] = ()
                   ) -> dict[str, Any]:
    """The subset of ``wanted`` that ``builder`` accepts (all of it when it takes ``**kwargs``);
    a name in ``required`` that it does not accept raises :class:`OptionError`.

    Example:
        >>> builder_kwargs(lambda num_classes=10: None, {"num_classes": 3, "width": 0.5})
        {'num_classes': 3}
    """
    try:
        params = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return dict(wanted)
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(wanted)
    out = {k: v for k, v in wanted.items() if k in params}
    for name in required:
        if name in wanted and name not in params:
            raise OptionError(name, f"the model builder does not take {name!r}; drop the "
                                    f"option or use another `model=`")
    return out
