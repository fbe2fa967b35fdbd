"""Loss and accuracy curves of a run, drawn with matplotlib's Agg renderer (no display, no
pyplot global state): the loss on a log axis (one spike does not flatten the panel), the
accuracy in percent as the CLI prints it, labelled axes, a title (model and dataset) and the
best epoch marked. Files are written atomically.

Example:
    >>> h = [{"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.1, "val_acc": 0.4},
    ...      {"epoch": 2, "train_loss": 0.5, "train_acc": 0.8, "val_loss": 0.6, "val_acc": 0.7}]
    >>> curves_image(h, title="vgg11_bn on shapes", best_epoch=2).size
    (1000, 400)
"""
from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from PIL import Image

from ..atomic import write_atomic


def _column(history: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0) -> list[float]:
    out = []
    for r in history:
        v = r.get(key)
        v = math.nan if v is None else float(v)
        out.append(v * scale if math.isfinite(v) else math.nan)
    return out


def curves_figure(history: Sequence[Mapping[str, Any]], *, title: str | None = None,
                  best_epoch: int | None = None, monitor: str | None = None) -> Any:
    """A matplotlib ``Figure`` (Agg canvas attached) with the loss panel (log scale) and the
    accuracy panel (percent) of ``history``; ``best_epoch`` is marked by a dashed line.

    Example:
        >>> fig = curves_figure([{"epoch": 1, "train_loss": 0.7, "train_acc": 0.6}])
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['loss (cross-entropy, log scale)', 'accuracy (%)']
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    epochs = [int(r.get("epoch", i + 1)) for i, r in enumerate(history)]
    loss_ax, acc_ax = fig.subplots(1, 2)
    panels = ((loss_ax, "loss", 1.0, "loss (cross-entropy, log scale)"),
              (acc_ax, "acc", 100.0, "accuracy (%)"))
    for ax, key, scale, label in panels:
        for split, colour in (("train", "tab:blue"), ("val", "tab:orange")):
            ys = _column(history, f"{split}_{key}", scale)
            if any(math.isfinite(v) for v in ys):
                ax.plot(epochs, ys, marker="o", markersize=3, color=colour, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if best_epoch is not None:
            what = f" ({monitor})" if monitor else ""
            ax.axvline(best_epoch, color="tab:green", linestyle="--", linewidth=1,
                       label=f"best epoch {best_epoch}{what}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize="small")
    losses = [v for k in ("train_loss", "val_loss") for v in _column(history, k)
              if math.isfinite(v)]
    if losses and min(losses) > 0:
        loss_ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:.4g}")
        loss_ax.yaxis.set_major_formatter(plain)
        if max(losses) / min(losses) < 10:  # less than a decade: label the minor ticks too
            loss_ax.yaxis.set_minor_formatter(plain)
    else:  # a zero or negative loss cannot go on a log axis: clip the panel to the bulk
        loss_ax.set_ylabel("loss (cross-entropy)")
        if losses:
            hi = sorted(losses)[int(0.9 * (len(losses) - 1))]
            loss_ax.set_ylim(min(min(losses), 0.0), max(hi * 1.1, 1e-6))
    acc_ax.set_ylim(0, 100)
    loss_ax.set_title("loss")
    acc_ax.set_title("accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def curves_png(history: Sequence[Mapping[str, Any]], **kwargs: Any) -> bytes:
    """:func:`curves_figure` as PNG bytes.

    Example:
        >>> curves_png([{"epoch": 1, "train_loss": 0.7, "train_acc": 0.6}])[:4]
        b'\\x89PNG'
    """
    buf = io.BytesIO()
    curves_figure(history, **kwargs).savefig(buf, format="png")
    return buf.getvalue()


def curves_image(history: Sequence[Mapping[str, Any]], **kwargs: Any) -> Image.Image:
    """:func:`curves_figure` as an RGB Pillow image (1000 x 400 pixels)."""
    with Image.open(io.BytesIO(curves_png(history, **kwargs))) as im:
        return im.convert("RGB")


def save_curves(history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str],
                **kwargs: Any) -> Path:
    """Write the curves PNG to ``path`` atomically (``title``, ``best_epoch``, ``monitor`` as
    in :func:`curves_figure`); returns the path.

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_curves([{"train_loss": 1.0, "train_acc": 0.5}], tmp / "curves.png").name
        'curves.png'
    """
    data = curves_png(history, **kwargs)
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))
