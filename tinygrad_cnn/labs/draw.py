"""Small Pillow pictures for the labs: numeric matrices, image tiles with titles, line and bar
charts, and rows/columns of panels. Pillow only (no plotting library).

Example:
    >>> import numpy as np
    >>> m = matrix_image(np.arange(4).reshape(2, 2), "2x2")
    >>> row = hstack([m, titled(tile_image(np.eye(3)), "eye")])
    >>> row.mode, row.size[0] > m.size[0]
    ('RGB', True)
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tinygrad_cnn.training import grid_image

COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
WHITE, BLACK, HIGHLIGHT = (255, 255, 255), (0, 0, 0), (220, 40, 40)


def font(size: int = 12) -> Any:
    """Pillow's default font at ``size`` (the bitmap font on old Pillow).

    Example:
        >>> font(12).getlength("abc") > 0
        True
    """
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def titled(image: Image.Image, title: str, size: int = 12) -> Image.Image:
    """``image`` under a one-line ``title`` strip, as RGB.

    Example:
        >>> titled(Image.new("L", (40, 10)), "x").size
        (40, 28)
    """
    f = font(size)
    width = max(image.size[0], int(f.getlength(title)) + 8)
    out = Image.new("RGB", (width, image.size[1] + size + 6), WHITE)
    ImageDraw.Draw(out).text((width // 2, 2), title, fill=BLACK, font=f, anchor="mt")
    out.paste(image.convert("RGB"), ((width - image.size[0]) // 2, size + 6))
    return out


def hstack(images: Sequence[Image.Image], gap: int = 12) -> Image.Image:
    """Images side by side, top-aligned, on white.

    Example:
        >>> hstack([Image.new("RGB", (5, 5)), Image.new("RGB", (7, 3))], gap=2).size
        (14, 5)
    """
    width = sum(i.size[0] for i in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (width, max(i.size[1] for i in images)), WHITE)
    x = 0
    for i in images:
        out.paste(i.convert("RGB"), (x, 0))
        x += i.size[0] + gap
    return out


def vstack(images: Sequence[Image.Image], gap: int = 12) -> Image.Image:
    """Images one under the other, left-aligned, on white.

    Example:
        >>> vstack([Image.new("RGB", (5, 5)), Image.new("RGB", (7, 3))], gap=2).size
        (7, 10)
    """
    height = sum(i.size[1] for i in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (max(i.size[0] for i in images), height), WHITE)
    y = 0
    for i in images:
        out.paste(i.convert("RGB"), (0, y))
        y += i.size[1] + gap
    return out


def pad(image: Image.Image, margin: int = 10) -> Image.Image:
    """``image`` with a white margin all round.

    Example:
        >>> pad(Image.new("RGB", (4, 4)), 3).size
        (10, 10)
    """
    out = Image.new("RGB", (image.size[0] + 2 * margin, image.size[1] + 2 * margin), WHITE)
    out.paste(image.convert("RGB"), (margin, margin))
    return out


def tile_image(tile: np.ndarray, px: int = 96) -> Image.Image:
    """One map (H, W) or colour image (3, H, W), stretched to its own range and scaled up
    (nearest neighbour) to about ``px`` pixels, with a thin frame.

    Example:
        >>> tile_image(np.zeros((8, 8)), px=32).size
        (34, 34)
    """
    return grid_image(np.asarray(tile, dtype=np.float64)[None], ncols=1, tile_px=px, gap=1,
                      normalize="each").convert("RGB")


def matrix_image(values: np.ndarray, title: str, cell_px: int = 30,
                 box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """A 2-D array drawn as a grid of numbers on grey shades (darker = larger), titled;
    ``box`` = (row, col, height, width) is outlined in red (a receptive field).

    Example:
        >>> matrix_image(np.ones((6, 6)), "input", box=(0, 0, 3, 3)).size[0] >= 6 * 30
        True
    """
    v = np.asarray(values, dtype=np.float64)
    rows, cols = v.shape
    lo, hi = float(v.min()), float(v.max())
    img = Image.new("RGB", (cols * cell_px + 1, rows * cell_px + 1), WHITE)
    draw = ImageDraw.Draw(img)
    f = font(max(9, cell_px // 3))
    for r in range(rows):
        for c in range(cols):
            shade = 235 - int(150 * (v[r, c] - lo) / (hi - lo)) if hi > lo else 215
            x0, y0 = c * cell_px, r * cell_px
            draw.rectangle((x0, y0, x0 + cell_px, y0 + cell_px), fill=(shade,) * 3, outline=BLACK)
            text = f"{v[r, c]:g}"
            draw.text((x0 + cell_px // 2, y0 + cell_px // 2), text,
                      fill=BLACK if shade > 140 else WHITE, font=f, anchor="mm")
    if box is not None:
        r0, c0, h, w = box
        draw.rectangle((c0 * cell_px, r0 * cell_px, (c0 + w) * cell_px, (r0 + h) * cell_px),
                       outline=HIGHLIGHT, width=3)
    return titled(img, title)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    raw = (hi - lo) / max(n - 1, 1) or 1.0
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def line_chart(xs: Sequence[float], series: Mapping[str, Sequence[float]], title: str,
               xlabel: str, ylabel: str, ylim: tuple[float, float] | None = None,
               size: tuple[int, int] = (640, 360)) -> Image.Image:
    """Lines with dots, one per series, with axes, ticks and a legend.

    Example:
        >>> line_chart([0, 1, 2], {"a": [1, 0.5, 0.2]}, "t", "x", "y").size
        (640, 360)
    """
    width, height = size
    img = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(img)
    f = font(12)
    x0, y0, x1, y1 = 60, 30, width - 20, height - 45
    values = [float(v) for ys in series.values() for v in ys]
    lo, hi = ylim if ylim is not None else (min(values), max(values))
    if hi <= lo:
        hi = lo + 1.0
    xlo, xhi = float(min(xs)), float(max(xs))
    xhi = xhi if xhi > xlo else xlo + 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (x0 + (x1 - x0) * (x - xlo) / (xhi - xlo), y1 - (y1 - y0) * (y - lo) / (hi - lo))

    draw.text((width // 2, 6), title, fill=BLACK, font=f, anchor="mt")
    for t in _ticks(lo, hi):
        _, y = at(xlo, t)
        draw.line((x0, y, x1, y), fill=(230, 230, 230))
        draw.text((x0 - 5, y), f"{t:g}", fill=BLACK, font=f, anchor="rm")
    for x in xs:
        px, _ = at(x, lo)
        draw.text((px, y1 + 5), f"{x:g}", fill=BLACK, font=f, anchor="mt")
    draw.rectangle((x0, y0, x1, y1), outline=BLACK)
    draw.text(((x0 + x1) // 2, height - 6), xlabel, fill=BLACK, font=f, anchor="mb")
    draw.text((4, y0 - 6), ylabel, fill=BLACK, font=f, anchor="lb")
    for k, (name, ys) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        points = [at(x, float(y)) for x, y in zip(xs, ys)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for px, py in points:
            draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
        ly = y0 + 10 + 16 * k
        draw.line((x1 - 190, ly, x1 - 170, ly), fill=colour, width=3)
        draw.text((x1 - 165, ly), name, fill=BLACK, font=f, anchor="lm")
    return img


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, log: bool = True,
              width: int = 720, bar_px: int = 22) -> Image.Image:
    """Horizontal bars with their labels and values; ``log`` uses a log10 scale.

    Example:
        >>> bar_chart(["a", "b"], [28, 56], "params").size[0]
        720
    """
    f = font(12)
    label_w = int(max(f.getlength(s) for s in labels)) + 12
    height = 30 + len(labels) * (bar_px + 6) + 10
    img = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(img)
    draw.text((width // 2, 6), title, fill=BLACK, font=f, anchor="mt")
    scale = [math.log10(max(v, 1.0)) if log else float(v) for v in values]
    top = max(scale) or 1.0
    room = width - label_w - 140
    for i, (label, v, s) in enumerate(zip(labels, values, scale)):
        y = 30 + i * (bar_px + 6)
        draw.text((label_w - 6, y + bar_px // 2), label, fill=BLACK, font=f, anchor="rm")
        length = max(1, int(room * s / top))
        draw.rectangle((label_w, y, label_w + length, y + bar_px), fill=COLOURS[i % len(COLOURS)])
        draw.text((label_w + length + 6, y + bar_px // 2), f"{v:,.0f}" if v >= 1 else f"{v:g}",
                  fill=BLACK, font=f, anchor="lm")
    return img
