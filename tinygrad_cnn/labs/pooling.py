"""Lab ``pooling`` (notes §3.9): 2x2 max-pooling with stride 2 on a 4x4 input, window by
window, then what pooling does downstream: the same three conv blocks on a 32x32x3 image with
0 to 3 max-pools, their activation-map sizes and the parameters of the classifier after them.

Example:
    >>> import tempfile
    >>> r = run(out=tempfile.mkdtemp())
    >>> r.data["pooled"].tolist()
    [[6.0, 8.0], [3.0, 4.0]]
"""
from __future__ import annotations

import os

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn

from . import draw
from .common import forward, save_picture
from .result import LabResult, Table

#: a 4x4 input slice whose four 2x2 windows each have a different maximum
SLICE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
#: the conv blocks of the downstream experiment: channels after each 3x3 conv (padding 1)
CHANNELS = (16, 32, 64)
IMAGE, CLASSES = 32, 10


def conv_net(pools: int, channels: tuple[int, ...] = CHANNELS, size: int = IMAGE,
             classes: int = CLASSES) -> nn.Sequential:
    """Conv3x3(pad 1)+ReLU blocks, the first ``pools`` of them followed by a 2x2 max-pool,
    then Flatten and one Linear to ``classes``.

    Example:
        >>> conv_net(1, (4,), 8, 2).num_parameters()   # conv 3*9*4+4, linear 4*4*4*2+2
        242
    """
    layers: list[nn.Module] = []
    c, s = 3, size
    for i, out in enumerate(channels):
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU()]
        if i < pools:
            layers.append(nn.MaxPool2d(2, 2))
            s //= 2
        c = out
    layers += [nn.Flatten(), nn.Linear(c * s * s, classes)]
    return nn.Sequential(*layers)


def run(out: str | os.PathLike[str], seed: int = 0) -> LabResult:
    """Pool the 4x4 example and compare the networks; write ``pooling.png`` into ``out``."""
    pooled = forward(nn.MaxPool2d(2, 2), SLICE[None, None])[0, 0]
    windows = [[f"rows {r}-{r + 1}, cols {c}-{c + 1}",
                " ".join(f"{v:g}" for v in SLICE[r:r + 2, c:c + 2].ravel()),
                float(pooled[r // 2, c // 2])] for r in (0, 2) for c in (0, 2)]
    tg.manual_seed(seed)
    rows, data_rows = [], []
    for pools in range(len(CHANNELS) + 1):
        model = conv_net(pools)
        result = tg.summary(model, (3, IMAGE, IMAGE), verbose=False)
        maps = [r.output_shape for r in result.rows if r.type in ("Conv2d", "MaxPool2d")]
        last = maps[-1]
        head = model[len(model) - 1].num_parameters()
        rows.append([pools, " -> ".join(f"{s[1]}x{s[2]}" for s in maps if len(s) == 3),
                     int(np.prod(last)), head, result.trainable_params])
        data_rows.append({"pools": pools, "flat": int(np.prod(last)), "head": head,
                          "total": result.trainable_params})
    pool_params = nn.MaxPool2d(2, 2).num_parameters()
    tables = [
        Table("2x2 max-pool, stride 2, on the 4x4 slice", ["window", "values", "max"], windows),
        Table(f"conv blocks {'-'.join(map(str, CHANNELS))} on {IMAGE}x{IMAGE}x3, "
              f"then Linear to {CLASSES} classes",
              ["max-pools", "map sizes (conv/pool outputs)", "flattened", "classifier params",
               "total params"], rows),
    ]
    first, most = data_rows[0], data_rows[-1]
    findings = [
        f"each 2x2 window keeps its largest value: 4x4 -> 2x2 = {pooled.tolist()}; the pooling "
        f"layer itself has {pool_params} trainable parameters",
        f"with {most['pools']} max-pools the classifier sees {most['flat']:,} values instead of "
        f"{first['flat']:,} and has {most['head']:,} parameters instead of {first['head']:,} "
        f"({first['head'] / most['head']:.0f} times fewer); the conv layers are unchanged",
    ]
    chart = draw.bar_chart([f"{d['pools']} max-pools: classifier" for d in data_rows]
                           + [f"{d['pools']} max-pools: total" for d in data_rows],
                           [d["head"] for d in data_rows] + [d["total"] for d in data_rows],
                           "trainable parameters (log scale)", width=640)
    top = draw.hstack([draw.matrix_image(SLICE, "4x4 input", cell_px=40),
                       draw.matrix_image(pooled, "2x2 max-pool, stride 2", cell_px=40)], gap=30)
    path = save_picture(draw.pad(draw.vstack([top, chart], gap=20)), out, "pooling")
    return LabResult("pooling", "Pooling lab: max-pooling and its effect downstream "
                     "(notes 3.9)", tables, findings, path,
                     {"pooled": pooled, "networks": data_rows})
