"""Lab ``shapes`` (notes §2.1, §3): the shape of the data through VGG-16 on a 224x224x3 image,
block by block -- the spatial size halves at every max-pool while the channels grow -- found by
one forward pass (``tinygrad_cnn.summary``) and drawn to scale.

Example:
    >>> import tempfile
    >>> r = run(out=tempfile.mkdtemp(), size=32)
    >>> [row[2] for row in r.tables[0].rows][:5]
    ['64x16x16', '128x8x8', '256x4x4', '512x2x2', '512x1x1']
"""
from __future__ import annotations

import os
from typing import Any

from PIL import Image, ImageDraw

import tinygrad_cnn as tg
from tinygrad_cnn.models import vgg16
from tinygrad_cnn.nn.init import skip_init

from . import draw
from .common import save_picture
from .result import LabResult, Table


def _blocks(rows: list[Any]) -> list[dict[str, Any]]:
    """Group a VGG summary's layer rows into Conv-1..Conv-5 (each ends at its max-pool) and
    the classifier layers; each group has its name, layer types, output shape, parameters and
    multiply-accumulates."""
    groups: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    conv_block = 1
    for row in rows:
        if row.name.startswith("features."):
            name = f"Conv-{conv_block}"
        elif row.type == "Linear":
            name = f"FC-{6 + sum(g['name'].startswith('FC') for g in groups)}"
        else:
            name = row.name
        if current is None or current["name"] != name:
            current = {"name": name, "layers": [], "shape": row.output_shape, "params": 0,
                       "macs": 0}
            groups.append(current)
        current["layers"].append(row.type)
        current["shape"] = row.output_shape
        current["params"] += row.params
        current["macs"] += row.macs
        if row.type == "MaxPool2d":
            conv_block += 1
    return [g for g in groups if not g["name"].startswith("classifier.")]


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


def _picture(size: int, groups: list[dict[str, Any]]) -> Image.Image:
    """Every block's output as a box: height ~ spatial size, width ~ channels."""
    f = draw.font(11)
    boxes = [("input", (3, size, size))] + [(g["name"], g["shape"]) for g in groups
                                             if len(g["shape"]) == 3]
    widths = [8 + int(c / 512 * 48) for _, (c, _, _) in boxes]
    img = Image.new("RGB", (sum(widths) + 70 * len(boxes) + 20, 300), draw.WHITE)
    canvas = ImageDraw.Draw(img)
    x = 20
    for k, ((name, (c, h, w)), bw) in enumerate(zip(boxes, widths)):
        bh = max(2, int(220 * h / size))
        y0 = 20 + (220 - bh) // 2
        canvas.rectangle((x, y0, x + bw, y0 + bh), fill=draw.COLOURS[k % 5], outline=draw.BLACK)
        canvas.text((x + bw // 2, 250), name, fill=draw.BLACK, font=f, anchor="mt")
        canvas.text((x + bw // 2, 266), f"{c}x{h}x{w}", fill=draw.BLACK, font=f, anchor="mt")
        x += bw + 70
    return draw.titled(img, f"VGG-16 on {size}x{size}x3: spatial size down, channels up")


def run(out: str | os.PathLike[str], seed: int = 0, size: int = 224) -> LabResult:
    """Trace VGG-16 on a ``size`` x ``size`` x 3 image; write ``shapes.png`` into ``out``."""
    with skip_init():  # shapes do not depend on the weights
        model = vgg16(input_size=size)
    result = tg.summary(model, (3, size, size), verbose=False)
    groups = _blocks(result.rows)
    rows = [[g["name"], " ".join(dict.fromkeys(g["layers"])), _shape(g["shape"]),
             _values(g["shape"]), g["params"], g["macs"]]
            for g in groups]
    table = Table(f"VGG-16 on a {size}x{size}x3 image, block by block",
                  ["block", "layers", "output (CxHxW)", "values", "parameters", "MACs"], rows)
    convs = [g for g in groups if g["name"].startswith("Conv-")]
    findings = [
        f"through the five conv blocks the spatial size goes "
        f"{' -> '.join(str(g['shape'][1]) for g in convs)} (from {size}) while the channels go "
        f"{' -> '.join(str(g['shape'][0]) for g in convs)} (from 3)",
        f"the input holds {3 * size * size:,} values, the output of Conv-5 "
        f"{_values(convs[-1]['shape']):,}; {result.total_params:,} parameters, "
        f"{result.total_macs:,} multiply-accumulates per image",
    ]
    path = save_picture(draw.pad(_picture(size, groups)), out, "shapes")
    return LabResult("shapes", "Shapes lab: data through VGG-16 (notes 2.1)", [table], findings,
                     path, {"blocks": groups, "total_params": result.total_params})


def _values(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n
