"""Inputs of ``tgcnn predict``, read honestly: an image whose size or channels differ from the
model's input is refused unless ``resize`` is asked for (then converted, and said); dropping an
alpha channel or converting a palette is said; an NPY array must already have the model's
input shape (``(C, H, W)``, ``(H, W, C)``, or ``(H, W)`` for one channel) and is either
``uint8`` pixels 0-255 (scaled like an image file, and said) or floats already in the
training units. A folder stands for the image and NPY files directly inside it, sorted.

Example:
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> Image.new("RGBA", (40, 20)).save(p)
    >>> x, notes = read_input(p, (3, 32, 32), resize=True)
    >>> x.shape, notes
    ((3, 32, 32), ['alpha channel dropped (composited over white)', 'resized 40x20 -> 32x32'])
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..data import DataError

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
NPY_EXT = ".npy"
_GREY = ("1", "L", "I", "I;16", "I;16B", "I;16L", "F")


def _describe(c: int, h: int, w: int) -> str:
    kind = {1: "grey", 3: "RGB"}.get(c, f"{c}-channel")
    return f"{w}x{h} {kind}"


@dataclass
class PredictInput:
    """One input: its file, the array in dataset units (C, H, W) and what was done to it."""

    path: str
    x: np.ndarray
    notes: list[str] = field(default_factory=list)


def expand_inputs(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, folders replaced by their image/NPY files (sorted, not recursive).

    Example:
        >>> expand_inputs([])
        []
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.is_file() and f.suffix.lower() in (*IMAGE_EXTS, NPY_EXT))
            if not found:
                raise DataError(f"{p}: the folder has no image files ({', '.join(IMAGE_EXTS)}, "
                                f"{NPY_EXT}); pass image files or another folder")
            out.extend(found)
        else:
            out.append(p)
    return out


def _image_pixels(path: Path, want_c: int) -> tuple[np.ndarray, int, list[str]]:
    """Decode an image file to (C0, H, W) uint8 (C0 = 1 or 3), its own channel count, notes."""
    from ..data.images import decode, open_image

    img = open_image(path)
    notes: list[str] = []
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        notes.append("alpha channel dropped (composited over white)")
    grey = img.mode in _GREY or img.mode == "LA"
    if img.mode == "P":
        notes.append("palette colours converted to RGB")
    elif img.mode not in ("RGB", "RGBA", *_GREY, "LA"):
        notes.append(f"colour mode {img.mode} converted to {'grey' if grey else 'RGB'}")
    a = decode(img, path, "L" if grey else "RGB")
    return a, (1 if grey else 3), notes


def _npy_pixels(path: Path, c: int, h: int, w: int, pixel_max: float
                ) -> tuple[np.ndarray, list[str]]:
    from ..data.images import npy_image

    raw = npy_image(path)
    if raw.dtype == np.uint8:
        return raw.astype(np.float32) * np.float32(pixel_max / 255.0), [
            "uint8 NPY taken as 0-255 pixels and scaled like an image file"]
    if raw.dtype.kind != "f":
        raise DataError(f"{path}: NPY of dtype {raw.dtype}; save uint8 pixels (0-255) or floats "
                        f"in the training units (0-{pixel_max:g})")
    if not np.isfinite(raw).all():
        raise DataError(f"{path}: the NPY array holds NaN or infinite values")
    return raw.astype(np.float32), []


def read_input(path: str | os.PathLike[str], size: Sequence[int], *, pixel_max: float = 255.0,
               resize: bool = False) -> tuple[np.ndarray, list[str]]:
    """One input file as float32 (C, H, W) in dataset units for a model input ``size`` =
    (C, H, W), and the notes of what was done. A size or channel mismatch raises ``DataError``
    unless ``resize``.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.npy"; np.save(p, np.zeros((4, 4), np.float32))
        >>> read_input(p, (1, 4, 4))[0].shape
        (1, 4, 4)
    """
    from ..data.files import require_file
    from ..data.images import _resize, _to_channels

    c, h, w = (int(v) for v in size)
    p = require_file(path, "image")
    if p.suffix.lower() == NPY_EXT:
        a, notes = _npy_pixels(p, c, h, w, pixel_max)
        if a.shape[0] == 4:
            a = a[:3]
            notes.append("alpha channel dropped")
        own_c = a.shape[0]
    elif p.suffix.lower() in IMAGE_EXTS:
        pixels, own_c, notes = _image_pixels(p, c)
        a = pixels.astype(np.float32) * np.float32(pixel_max / 255.0)
    else:
        raise DataError(f"{p}: unsupported file type {p.suffix or '(none)'}; pass "
                        f"{', '.join(IMAGE_EXTS)} or {NPY_EXT} files")
    ih, iw = a.shape[1:]
    if (own_c, ih, iw) != (c, h, w):
        if not resize:
            raise DataError(f"{p}: {_describe(own_c, ih, iw)} image, but the model takes "
                            f"{_describe(c, h, w)}; pass `resize=True` to convert it")
        if own_c != c:
            a = _to_channels(a, c, p)
            notes.append(f"{_describe(own_c, ih, iw).split()[1]} converted to "
                         f"{'grey' if c == 1 else 'RGB'}")
        if (ih, iw) != (h, w):
            a = _resize(a, h, w)
            notes.append(f"resized {iw}x{ih} -> {w}x{h}")
    return np.ascontiguousarray(a, dtype=np.float32), notes


def read_inputs(paths: Sequence[str | os.PathLike[str]], size: Sequence[int], *,
                pixel_max: float = 255.0, resize: bool = False) -> list[PredictInput]:
    """:func:`read_input` for files and folders (see :func:`expand_inputs`).

    Example:
        >>> read_inputs([], (3, 32, 32))
        []
    """
    out = []
    for p in expand_inputs(paths):
        x, notes = read_input(p, size, pixel_max=pixel_max, resize=resize)
        out.append(PredictInput(str(p), x, notes))
    return out
