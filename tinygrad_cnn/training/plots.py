"""PNG pictures with Pillow alone: grids of maps/filters and loss/accuracy curves.

Every writer saves atomically (temporary file in the same folder, then ``os.replace``), so an
interrupted write never leaves a half PNG where a good one was.

Example:
    >>> import numpy as np
    >>> img = grid_image(np.random.rand(6, 5, 5))
    >>> img.mode, img.size[0] > 0
    ('L', True)
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def save_png(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write ``image`` to ``path`` as PNG atomically; returns the path.

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_png(Image.new("L", (4, 4)), tmp / "a.png").name
        'a.png'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a PNG is as readable as any new file
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="PNG")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _to_uint8(tile: np.ndarray) -> np.ndarray:
    """Stretch one tile to 0..255 on its own range (a constant tile becomes mid grey)."""
    tile = np.asarray(tile, dtype=np.float64)
    finite = np.isfinite(tile)
    if not finite.any():
        return np.zeros(tile.shape, np.uint8)
    lo, hi = float(tile[finite].min()), float(tile[finite].max())
    if hi - lo < 1e-12:
        return np.full(tile.shape, 128, np.uint8)
    out = (np.where(finite, tile, lo) - lo) / (hi - lo) * 255.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def grid_image(tiles: np.ndarray, ncols: int | None = None, tile_px: int = 64, gap: int = 2,
               normalize: str = "each") -> Image.Image:
    """Arrange tiles in a grid, each scaled up (nearest neighbour) to about ``tile_px`` pixels.

    ``tiles`` is ``(N, H, W)`` (grey) or ``(N, 3, H, W)`` (colour). ``normalize="each"`` stretches
    every tile to its own range (activation maps, filters); ``"all"`` uses one common range.

    Example:
        >>> grid_image(np.zeros((4, 3, 3, 3)), ncols=2, tile_px=9, gap=1).size
        (21, 21)
    """
    tiles = np.asarray(tiles)
    if tiles.ndim == 4 and tiles.shape[1] == 1:
        tiles = tiles[:, 0]
    if tiles.ndim not in (3, 4) or (tiles.ndim == 4 and tiles.shape[1] != 3) or len(tiles) == 0:
        raise ValueError(f"grid_image: expected (N, H, W) or (N, 3, H, W) tiles, got shape "
                         f"{tiles.shape}")
    if normalize not in ("each", "all"):
        raise ValueError(f"grid_image: normalize must be 'each' or 'all', got {normalize!r}")
    n = len(tiles)
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    h, w = tiles.shape[-2:]
    scale = max(1, int(round(tile_px / max(h, w))))
    th, tw = h * scale, w * scale
    colour = tiles.ndim == 4
    canvas = np.full((nrows * th + (nrows + 1) * gap, ncols * tw + (ncols + 1) * gap)
                     + ((3,) if colour else ()), 255, np.uint8)
    scaled = _to_uint8(tiles) if normalize == "all" else None
    for i in range(n):
        tile = scaled[i] if scaled is not None else _to_uint8(tiles[i])
        if colour:
            tile = np.transpose(tile, (1, 2, 0))
        tile = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)
        r, c = divmod(i, ncols)
        y0, x0 = gap + r * (th + gap), gap + c * (tw + gap)
        canvas[y0:y0 + th, x0:x0 + tw] = tile
    return Image.fromarray(canvas, "RGB" if colour else "L")


def save_grid(tiles: np.ndarray, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """:func:`grid_image` written to ``path`` (atomically).

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_grid(np.random.rand(8, 4, 4), tmp / "maps.png").suffix
        '.png'
    """
    return save_png(grid_image(tiles, **kwargs), path)


_LINE_COLOURS = {"train": (31, 119, 180), "val": (255, 127, 14)}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        return ImageFont.load_default()


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _panel(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str,
           series: Mapping[str, Sequence[float | None]], font: Any, ylim: tuple[float, float] | None
           ) -> None:
    """One line chart inside ``box`` = (left, top, right, bottom) of the canvas."""
    left, top, right, bottom = box
    px0, py0, px1, py1 = left + 48, top + 22, right - 10, bottom - 30
    draw.text((left + (right - left) // 2, top + 4), title, fill="black", font=font, anchor="mt")
    values = [v for ys in series.values() for v in ys if v is not None and math.isfinite(v)]
    n = max((len(ys) for ys in series.values()), default=0)
    if ylim is None:
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        pad = (hi - lo) * 0.05 or 0.5
        lo, hi = max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad
    else:
        lo, hi = ylim
    ticks = [t for t in _nice_ticks(lo, hi) if lo <= t <= hi] or [lo, hi]
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    def xy(i: int, v: float) -> tuple[float, float]:
        x = px0 + (px1 - px0) * (i / (n - 1) if n > 1 else 0.5)
        return x, py1 - (py1 - py0) * (v - lo) / (hi - lo)

    for t in ticks:
        _, y = xy(0, t)
        draw.line((px0 - 3, y, px0, y), fill="black")
        draw.line((px0 + 1, y, px1 - 1, y), fill=(230, 230, 230))
        draw.text((px0 - 5, y), f"{t:g}", fill="black", font=font, anchor="rm")
    step = max(1, int(math.ceil(n / 10)))
    for i in range(0, n, step):
        x, _ = xy(i, lo)
        draw.line((x, py1, x, py1 + 3), fill="black")
        draw.text((x, py1 + 5), str(i + 1), fill="black", font=font, anchor="mt")
    draw.text(((px0 + px1) // 2, bottom - 4), "epoch", fill="black", font=font, anchor="mb")
    draw.rectangle((px0, py0, px1, py1), outline="black")
    legend_x = px1 - 50 * len(series)
    for name, ys in series.items():
        colour = _LINE_COLOURS.get(name, (44, 160, 44))
        points = [xy(i, v) for i, v in enumerate(ys) if v is not None and math.isfinite(v)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=colour)
        if points:  # legend in the title row, right-aligned
            draw.line((legend_x, top + 10, legend_x + 14, top + 10), fill=colour, width=2)
            draw.text((legend_x + 18, top + 10), name, fill="black", font=font, anchor="lm")
            legend_x += 50


def curves_image(history: Sequence[Mapping[str, Any]], size: tuple[int, int] = (900, 360)
                 ) -> Image.Image:
    """Two panels — loss and accuracy per epoch, train and validation — as an RGB image.

    ``history`` is a list of per-epoch dicts with ``train_loss``, ``train_acc`` and optionally
    ``val_loss``, ``val_acc`` (``None`` when there was no validation split).

    Example:
        >>> h = [{"train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.1, "val_acc": 0.4},
        ...      {"train_loss": 0.5, "train_acc": 0.8, "val_loss": 0.6, "val_acc": 0.7}]
        >>> curves_image(h).size
        (900, 360)
    """
    width, height = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = _font(11)
    half = width // 2

    def column(key: str) -> list[float | None]:
        return [None if e.get(key) is None else float(e[key]) for e in history]

    loss = {"train": column("train_loss"), "val": column("val_loss")}
    acc = {"train": column("train_acc"), "val": column("val_acc")}
    _panel(draw, (0, 0, half, height), "loss", loss, font, None)
    _panel(draw, (half, 0, width, height), "accuracy", acc, font, (0.0, 1.0))
    return img


def save_curves(history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """:func:`curves_image` written to ``path`` (atomically).

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_curves([{"train_loss": 1.0, "train_acc": 0.5}], tmp / "curves.png").name
        'curves.png'
    """
    return save_png(curves_image(history), path)


def curves_path(checkpoint: str | os.PathLike[str]) -> Path:
    """Where the curves of a checkpoint go: beside it, ``model.h5`` -> ``model.curves.png``.

    Example:
        >>> curves_path("runs/model.h5").as_posix()
        'runs/model.curves.png'
    """
    p = Path(checkpoint)
    return p.with_name(p.stem + ".curves.png")
