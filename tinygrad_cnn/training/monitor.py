"""Which epoch is the best, and when to stop: the monitored metric of a run (``--monitor``),
early stopping (``--early-stopping PATIENCE``, ``--min-delta``).

The default monitored metric is the validation loss (lower is better): unlike the validation
accuracy it does not saturate at 100 % on an easy split and it moves by small amounts, so it
still tells epochs apart late in a run. A run without a validation split falls back to the
training loss (and says so). An epoch *improves* when its value beats the best so far by more
than ``min_delta`` (absolute, in the metric's units: a fraction for accuracies); the best epoch
is the last one that improved. Everything is computed from the history alone, so a resumed
run decides exactly as the uninterrupted one would have.

Example:
    >>> h = [{"epoch": 1, "val_loss": 0.9}, {"epoch": 2, "val_loss": 0.5},
    ...      {"epoch": 3, "val_loss": 0.49}, {"epoch": 4, "val_loss": 0.6}]
    >>> best_by(h, "val_loss"), best_by(h, "val_loss", min_delta=0.05)
    (3, 2)
    >>> should_stop(h, "val_loss", patience=2, min_delta=0.05)
    True
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

#: the metrics a run can monitor, and whether higher is better
MONITORS: dict[str, str] = {"val_loss": "min", "val_acc": "max", "train_loss": "min",
                            "train_acc": "max"}
DEFAULT_MONITOR = "val_loss"


def check_monitor(name: str) -> str:
    """Normalise a monitor name (``val-loss`` -> ``val_loss``), else ``ValueError``.

    Example:
        >>> check_monitor("val-acc")
        'val_acc'
    """
    key = str(name).strip().lower().replace("-", "_")
    if key not in MONITORS:
        raise ValueError(f"unknown metric {name!r}; choose one of {', '.join(MONITORS)}")
    return key


def resolve_monitor(name: str, has_validation: bool) -> tuple[str, str | None]:
    """The metric actually monitored and a note when it had to change: a validation metric
    without a validation split becomes its training counterpart.

    Example:
        >>> resolve_monitor("val_acc", has_validation=False)
        ('train_acc', 'no validation split: the best epoch is chosen by train_acc instead of val_acc')
    """
    key = check_monitor(name)
    if key.startswith("val_") and not has_validation:
        other = "train_" + key[4:]
        return other, f"no validation split: the best epoch is chosen by {other} instead of {key}"
    return key, None


def _value(record: Mapping[str, Any], monitor: str) -> float | None:
    v = record.get(monitor)
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def improvements(history: Sequence[Mapping[str, Any]], monitor: str, min_delta: float = 0.0
                 ) -> list[int]:
    """The epochs that improved on every earlier one by more than ``min_delta``.

    Example:
        >>> improvements([{"epoch": 1, "val_acc": 0.5}, {"epoch": 2, "val_acc": 0.5},
        ...               {"epoch": 3, "val_acc": 0.7}], "val_acc")
        [1, 3]
    """
    sign = 1.0 if MONITORS[check_monitor(monitor)] == "min" else -1.0
    best: float | None = None
    out = []
    for r in history:
        v = _value(r, monitor)
        if v is None:
            continue
        if best is None or sign * v < sign * best - abs(min_delta):
            best = v
            out.append(int(r["epoch"]))
    return out


def best_by(history: Sequence[Mapping[str, Any]], monitor: str = DEFAULT_MONITOR,
            min_delta: float = 0.0) -> int | None:
    """The best epoch by ``monitor``: the last epoch that improved (None before any value).

    Example:
        >>> best_by([{"epoch": 1, "train_loss": 0.3}, {"epoch": 2, "train_loss": 0.2}], "train_loss")
        2
    """
    found = improvements(history, monitor, min_delta)
    return found[-1] if found else None


def should_stop(history: Sequence[Mapping[str, Any]], monitor: str, patience: int,
                min_delta: float = 0.0) -> bool:
    """Whether ``patience`` epochs have passed since the last improvement.

    Example:
        >>> should_stop([{"epoch": 1, "val_loss": 1.0}, {"epoch": 2, "val_loss": 1.2}],
        ...             "val_loss", patience=1)
        True
    """
    if not history:
        return False
    best = best_by(history, monitor, min_delta)
    last = int(history[-1]["epoch"])
    return best is not None and last - best >= int(patience)
