"""Lab ``translation`` (notes §1.1, §1.3): are CNNs less sensitive than MLPs to where the
content of an image is? Train an MLP and a small CNN of about the same parameter budget (same
data, epochs, seed, optimiser; no augmentation) and a CNN whose head is global average pooling,
then test all three on the held-out test images shifted by 0..k pixels left, right, up and down.

The images are first centred on a canvas with ``max_shift`` empty pixels on every side, so a
shift moves the content without cutting it off; shifted-in pixels are black (zero).

Example:
    >>> shift(np.arange(9.0).reshape(1, 1, 3, 3), 0, 1)[0, 0].tolist()
    [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.data import load_dataset
from tinygrad_cnn.training import OptionError, evaluate

from . import draw
from .common import save_picture, train_classifier
from .result import LabResult, Table

#: the four directions of a shift by s pixels: (rows, columns)
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))
#: channels of the two 3x3 conv layers of both CNNs
CNN_CHANNELS = (8, 16)
GAP_CHANNELS = (16, 32)
#: "much more shift-robust": keeps this much more of its unshifted accuracy than the MLP, on
#: average over the shifts 1..k (see :func:`retention`)
ROBUST_MARGIN = 0.10


def shift(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Images (N, C, H, W) moved ``dy`` rows down and ``dx`` columns right, zero-filled
    (see the module example)."""
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src = x[..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[..., max(0, dy):max(0, dy) + src.shape[-2], max(0, dx):max(0, dx) + src.shape[-1]] = src
    return out


def on_canvas(x: np.ndarray, margin: int) -> np.ndarray:
    """Images centred on a canvas ``margin`` pixels larger on every side (zero-filled).

    Example:
        >>> on_canvas(np.ones((1, 1, 2, 2), np.uint8), 1)[0, 0].tolist()
        [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    return np.pad(x, ((0, 0), (0, 0), (margin, margin), (margin, margin)))


def cnn(channels: int, size: int, classes: int, head: str) -> nn.Sequential:
    """Two conv3x3+ReLU+maxpool2 blocks, then ``head``: ``"flatten"`` (Flatten + Linear over
    every position) or ``"gap"`` (global average pooling + Linear: position-blind).

    Example:
        >>> cnn(1, 16, 10, "flatten").num_parameters(), cnn(1, 16, 10, "gap").num_parameters()
        (3818, 5130)
    """
    widths = CNN_CHANNELS if head == "flatten" else GAP_CHANNELS
    layers: list[nn.Module] = []
    c = channels
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2)]
        c = w
    if head == "flatten":
        layers += [nn.Flatten(), nn.Linear(c * (size // 4) ** 2, classes)]
    else:
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def mlp(inputs: int, classes: int, budget: int) -> nn.Sequential:
    """One hidden layer, as wide as fits ``budget`` parameters (at least 1 unit).

    Example:
        >>> mlp(256, 10, 3818).num_parameters()
        3748
    """
    hidden = max(1, (budget - classes) // (inputs + 1 + classes))
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int
            ) -> tuple[np.ndarray, np.ndarray]:
    if limit is None or limit >= len(y):
        return x, y
    keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:limit])
    return x[keep], y[keep]


def shifted_accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, s: int, scale: float
                     ) -> float:
    """Mean test accuracy of ``model`` over the four shifts by ``s`` pixels (one for s = 0);
    ``scale`` is the value of a white pixel (images are divided by it).

    Example:
        >>> x = np.zeros((4, 1, 4, 4), np.uint8); x[:2, :, :, :2] = 255   # class 0: left half
        >>> y = np.array([0, 0, 1, 1]); model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        >>> 0.0 <= shifted_accuracy(model, x, y, 1, 255.0) <= 1.0
        True
    """
    moves = [(0, 0)] if s == 0 else [(dy * s, dx * s) for dy, dx in DIRECTIONS]
    c = x.shape[1]
    accs = [evaluate(model, shift(x, dy, dx), y, mean=[0.0] * c, std=[scale] * c).accuracy
            for dy, dx in moves]
    return float(np.mean(accs))


def run(out: str | os.PathLike[str], seed: int = 0, data: str = "digits", epochs: int = 15,
        max_shift: int = 4, limit: int | None = None) -> LabResult:
    """Train the three models on ``data`` (at most ``limit`` training and test images), test
    them on shifted held-out images; write ``translation.png`` into ``out``.

    Example:
        >>> import tempfile
        >>> r = run(tempfile.mkdtemp(), epochs=1, max_shift=1, limit=60)
        >>> [row[0] for row in r.tables[1].rows], r.data["n_test"]
        ([0, 1], 60)
    """
    for name, value, low in (("epochs", epochs, 1), ("max_shift", max_shift, 0)):
        if isinstance(value, bool) or int(value) != value or value < low:
            raise OptionError(name, f"must be an integer >= {low}, got {value!r}")
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise OptionError("limit", f"must be a positive integer, got {limit!r}")
    splits = load_dataset(data, seed=seed)
    xtr, ytr = _subset(splits.train.x, splits.train.y, limit, seed)
    xte, yte = _subset(splits.test.x, splits.test.y, limit, seed + 1)
    xtr, xte = on_canvas(xtr, max_shift), on_canvas(xte, max_shift)
    c, size = xtr.shape[1], xtr.shape[2]
    scale = 255.0 if xtr.dtype == np.uint8 else 1.0
    k = splits.num_classes
    builders = {
        "CNN (flatten head)": lambda: cnn(c, size, k, "flatten"),
        "MLP": lambda: mlp(c * size * size, k, cnn(c, size, k, "flatten").num_parameters()),
        "CNN (global avg pool)": lambda: cnn(c, size, k, "gap"),
    }
    models: dict[str, nn.Module] = {}
    model_rows = []
    for name, build in builders.items():
        tg.manual_seed(seed)
        model = build()
        history = train_classifier(model, xtr, ytr, epochs=epochs, seed=seed,
                                   normalise=([0.0] * c, [scale] * c))
        models[name] = model
        model_rows.append([name, model.num_parameters(), float(history[-1]["train_acc"])])
    order = ["MLP", "CNN (flatten head)", "CNN (global avg pool)"]
    curves = {name: [shifted_accuracy(models[name], xte, yte, s, scale)
                     for s in range(max_shift + 1)] for name in order}
    model_rows.sort(key=lambda row: order.index(row[0]))
    for row in model_rows:
        row.append(curves[row[0]][0])
    tables = [
        Table(f"models trained on {len(ytr)} {data} images ({size}x{size} canvas), "
              f"{epochs} epochs, seed {seed}",
              ["model", "parameters", "train acc (last epoch)", "test acc"], model_rows),
        Table(f"accuracy on the {len(yte)} held-out test images shifted by s pixels "
              f"(mean of left, right, up, down)", ["shift s"] + order,
              [[s] + [curves[n][s] for n in order] for s in range(max_shift + 1)]),
    ]
    findings = _findings(curves, max_shift)
    chart = draw.line_chart(list(range(max_shift + 1)), curves,
                            f"test accuracy vs shift ({data}, seed {seed})",
                            "shift (pixels)", "accuracy", ylim=(0.0, 1.0))
    path = save_picture(draw.pad(chart), out, "translation")
    return LabResult("translation", "Translation lab: accuracy on shifted test images "
                     "(notes 1.1, 1.3)", tables, findings, path,
                     {"curves": curves, "models": models, "test": (xte, yte), "scale": scale,
                      "n_train": len(ytr), "n_test": len(yte)})


def retention(curve: list[float]) -> float:
    """Mean accuracy over the shifts 1..k as a fraction of the unshifted accuracy (1.0 for a
    model that shifts do not affect; 0.0 if it has no unshifted accuracy or k = 0).

    Example:
        >>> retention([1.0, 0.5, 0.25])
        0.375
    """
    if len(curve) < 2 or curve[0] <= 0:
        return 0.0
    return float(np.mean(curve[1:]) / curve[0])


def _findings(curves: dict[str, list[float]], k: int) -> list[str]:
    keep = {n: retention(ys) for n, ys in curves.items()}
    lines = [f"{n}: {ys[0]:.1%} unshifted, {ys[-1]:.1%} at a {k}-pixel shift"
             + (f"; keeps {keep[n]:.0%} of its accuracy on average over shifts 1..{k}" if k
                else "") for n, ys in curves.items()]
    if k == 0:
        return lines
    flat, gap, base = keep["CNN (flatten head)"], keep["CNN (global avg pool)"], keep["MLP"]
    if flat - base >= ROBUST_MARGIN:
        lines.append("the CNN with a flatten head is clearly more shift-robust than the MLP")
    else:
        lines.append("the CNN with a flatten head is NOT much more shift-robust than the MLP "
                     f"(it keeps {flat:.0%} vs {base:.0%}): its Linear layer still ties each "
                     f"weight to one position")
    verdict = "is" if gap - base >= ROBUST_MARGIN else "is NOT"
    lines.append(f"the CNN with global average pooling {verdict} clearly more shift-robust "
                 f"than the MLP (it keeps {gap:.0%} vs {base:.0%})")
    stride = 2 ** len(GAP_CHANNELS)
    if k >= stride:
        ys = curves["CNN (global avg pool)"]
        on_grid = [ys[s] for s in range(stride, k + 1, stride)]
        off_grid = [ys[s] for s in range(1, k + 1) if s % stride]
        lines.append(f"CNN (global avg pool) at shifts that are multiples of its pooling stride "
                     f"{stride}: {np.mean(on_grid):.1%} on average; at the other shifts: "
                     f"{np.mean(off_grid):.1%} (max-pooling is only equivariant to shifts by "
                     f"whole pooling windows)")
    return lines
