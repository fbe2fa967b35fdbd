"""PNG pictures with Pillow: grids of maps/filters (the curves are drawn with matplotlib in
:mod:`~tinygrad_cnn.training.curves`, re-exported here).

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
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..atomic import write_atomic


def save_png(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write ``image`` to ``path`` as PNG atomically; returns the path.

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_png(Image.new("L", (4, 4)), tmp / "a.png").name
        'a.png'
    """
    return write_atomic(path, lambda tmp: image.save(tmp, format="PNG"))


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
               normalize: str = "each", labels: Sequence[str] | None = None,
               title: str | None = None) -> Image.Image:
    """Arrange tiles in a grid, each scaled up (nearest neighbour) to about ``tile_px`` pixels.

    ``tiles`` is ``(N, H, W)`` (grey) or ``(N, 3, H, W)`` (colour). ``normalize="each"`` stretches
    every tile to its own range (activation maps, filters); ``"all"`` uses one common range.
    ``labels`` (one per tile) are written under the tiles, ``title`` above the grid.

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
    if labels is not None and len(labels) != n:
        raise ValueError(f"grid_image: {len(labels)} labels for {n} tiles")
    label_h = 14 if labels is not None else 0
    title_lines = str(title).splitlines() if title else []
    title_h = 16 * len(title_lines) + 6 if title_lines else 0
    grid_w = ncols * tw + (ncols + 1) * gap
    text_w = max((int(_font(13).getlength(t)) + 8 for t in title_lines), default=0)
    label_w = max((int(_font(10).getlength(str(t))) + 4 for t in labels or ()), default=0)
    if label_w > tw:  # labels wider than the tiles: spread the tiles
        gap = max(gap, label_w - tw)
        grid_w = ncols * tw + (ncols + 1) * gap
    width = max(grid_w, text_w)
    left = (width - grid_w) // 2
    canvas = np.full((title_h + nrows * (th + label_h) + (nrows + 1) * gap, width)
                     + ((3,) if colour else ()), 255, np.uint8)
    scaled = _to_uint8(tiles) if normalize == "all" else None
    for i in range(n):
        tile = scaled[i] if scaled is not None else _to_uint8(tiles[i])
        if colour:
            tile = np.transpose(tile, (1, 2, 0))
        tile = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)
        r, c = divmod(i, ncols)
        y0, x0 = title_h + gap + r * (th + label_h + gap), left + gap + c * (tw + gap)
        canvas[y0:y0 + th, x0:x0 + tw] = tile
    img = Image.fromarray(canvas, "RGB" if colour else "L")
    if labels is not None or title:
        draw = ImageDraw.Draw(img)
        ink = (0, 0, 0) if colour else 0
        for j, line in enumerate(title_lines):
            draw.text((img.size[0] // 2, 4 + 16 * j), line, fill=ink, font=_font(13), anchor="mt")
        for i, text in enumerate(labels or ()):
            r, c = divmod(i, ncols)
            x = left + gap + c * (tw + gap) + tw // 2
            y = title_h + gap + r * (th + label_h + gap) + th + 1
            draw.text((x, y), str(text), fill=ink, font=_font(10), anchor="mt")
    return img


def save_grid(tiles: np.ndarray, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """:func:`grid_image` written to ``path`` (atomically).

    Example:
        >>> import tempfile; tmp = Path(tempfile.mkdtemp())
        >>> save_grid(np.random.rand(8, 4, 4), tmp / "maps.png").suffix
        '.png'
    """
    return save_png(grid_image(tiles, **kwargs), path)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        return ImageFont.load_default()


def curves_path(checkpoint: str | os.PathLike[str]) -> Path:
    """Where the curves of a checkpoint go: beside it, ``model.h5`` -> ``model.curves.png``.

    Example:
        >>> curves_path("runs/model.h5").as_posix()
        'runs/model.curves.png'
    """
    p = Path(checkpoint)
    return p.with_name(p.stem + ".curves.png")


from .curves import curves_image, save_curves  # noqa: E402  (one import path for callers)
