"""Per-epoch training records and the choice of the best epoch.

A history is a list of plain dicts (what checkpoints store as JSON), one per finished epoch:
``epoch`` (1-based), ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc`` (``None`` without
a validation split), ``lr``, ``time`` (seconds) and ``images_per_s``.

Example:
    >>> h = [epoch_record(1, 1.2, 0.5, 1.3, 0.45, 0.1, 2.0, 100.0),
    ...      epoch_record(2, 0.8, 0.7, 0.9, 0.65, 0.1, 2.0, 100.0)]
    >>> best_epoch(h)
    2
    >>> format_record(h[1])
    'epoch 2: train loss 0.8000 acc 70.00% | val loss 0.9000 acc 65.00% | lr 0.1 | 2.0s, 100 img/s'
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "time", "images_per_s")


def epoch_record(epoch: int, train_loss: float, train_acc: float, val_loss: float | None,
                 val_acc: float | None, lr: float, time: float, images_per_s: float
                 ) -> dict[str, Any]:
    """One epoch's figures as a JSON-ready dict with the keys of :data:`KEYS`.

    Example:
        >>> epoch_record(1, 0.5, 0.9, None, None, 0.01, 1.5, 200.0)["val_acc"] is None
        True
    """
    def num(v: float | None) -> float | None:
        return None if v is None else float(v)

    return {"epoch": int(epoch), "train_loss": float(train_loss), "train_acc": float(train_acc),
            "val_loss": num(val_loss), "val_acc": num(val_acc), "lr": float(lr),
            "time": float(time), "images_per_s": float(images_per_s)}


def best_epoch(history: Sequence[Mapping[str, Any]]) -> int | None:
    """The epoch with the highest validation accuracy (lowest validation loss breaks ties,
    then the earliest); without validation figures, the lowest training loss.

    Example:
        >>> best_epoch([{"epoch": 1, "train_loss": 0.3, "val_acc": None},
        ...             {"epoch": 2, "train_loss": 0.2, "val_acc": None}])
        2
    """
    def finite(v: Any) -> bool:
        return v is not None and math.isfinite(float(v))

    with_val = [r for r in history if finite(r.get("val_acc"))]
    if with_val:
        return int(min(with_val, key=lambda r: (-float(r["val_acc"]),
                                                 float(r["val_loss"]) if finite(r.get("val_loss"))
                                                 else math.inf, int(r["epoch"])))["epoch"])
    with_loss = [r for r in history if finite(r.get("train_loss"))]
    if with_loss:
        return int(min(with_loss, key=lambda r: (float(r["train_loss"]), int(r["epoch"])))["epoch"])
    return None


def format_record(r: Mapping[str, Any]) -> str:
    """One line per epoch, as ``tgcnn train`` prints it when not on a terminal.

    Example:
        >>> format_record(epoch_record(3, 0.25, 0.9, None, None, 0.05, 1.25, 512.0))
        'epoch 3: train loss 0.2500 acc 90.00% | lr 0.05 | 1.2s, 512 img/s'
    """
    parts = [f"epoch {r['epoch']}: train loss {r['train_loss']:.4f} acc {100 * r['train_acc']:.2f}%"]
    if r.get("val_acc") is not None:
        parts.append(f"val loss {r['val_loss']:.4f} acc {100 * r['val_acc']:.2f}%")
    parts.append(f"lr {r['lr']:.4g}")
    parts.append(f"{r['time']:.1f}s, {r['images_per_s']:.0f} img/s")
    return " | ".join(parts)
