"""Reading single images (PNG/JPEG/BMP via Pillow, NPY via numpy) and preparing them for a model.

``load_image`` is what ``tgcnn predict`` and ``visualize`` use: it reads a file, converts it to
the channel count the model was trained with, resizes it to the training size and returns float32
(C, H, W) pixels in the training units (``pixel_max`` = value of a white 8-bit pixel, as stored in
``DatasetSplits.pixel_max``), ready for ``(x - mean) / std``.

Example:
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> Image.new("RGB", (40, 20), (255, 0, 0)).save(p)
    >>> a = load_image(p, (3, 32, 32)); a.shape, a.dtype, float(a[0].max())
    ((3, 32, 32), dtype('float32'), 255.0)
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import DataError
from .files import require_file

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def open_image(path: Path):
    """Open an image with Pillow (header only); unreadable files raise ``DataError``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as e:
        raise DataError(f"{path}: cannot read the image ({type(e).__name__}: {e});"
                        " replace or remove the file") from None
    return img


def decode(img, path: Path, mode: str) -> np.ndarray:
    """Decode an opened Pillow image into (C, H, W) uint8 in ``mode`` ``"L"`` or ``"RGB"``."""
    try:
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "F") and mode == "L":
            a = np.asarray(img, dtype=np.float64)  # 16-bit/float grey: scale the range to 8 bits
            top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
            arr = np.clip(np.rint(a * (255.0 / top)), 0, 255).astype(np.uint8)
        else:
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                img = img.convert("RGBA")  # composite transparency over white, as viewers show it
                from PIL import Image

                bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
                img = Image.alpha_composite(bg, img)
            arr = np.asarray(img.convert(mode), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(f"{path}: the image data is corrupt or truncated ({e}); replace or remove the file") from None
    return arr[None] if arr.ndim == 2 else np.ascontiguousarray(arr.transpose(2, 0, 1))


def npy_image(path: Path) -> np.ndarray:
    """Read an image stored with ``np.save``: (H, W), (H, W, C) or (C, H, W) with C in 1, 3, 4 -> (C, H, W)."""
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: not a readable .npy array ({e}); save it with numpy.save without objects") from None
    if a.dtype.kind not in "biuf":
        raise DataError(f"{path}: image array has dtype {a.dtype}, expected numbers; save pixels as uint8 or float")
    if a.ndim == 2:
        return a[None]
    if a.ndim == 3:
        if a.shape[-1] in (1, 3, 4) and a.shape[0] not in (1, 3, 4):
            return np.ascontiguousarray(a.transpose(2, 0, 1))
        if a.shape[0] in (1, 3, 4):
            return a
    raise DataError(f"{path}: image array has shape {a.shape}, expected (H, W), (H, W, C) or (C, H, W)"
                    " with C = 1, 3 or 4; save one image per file")


def _to_channels(a: np.ndarray, c: int, path: Path) -> np.ndarray:
    """Convert (C0, H, W) float to ``c`` channels: grey <-> RGB by luminance, alpha dropped."""
    if a.shape[0] == 4:
        a = a[:3]
    if a.shape[0] == c:
        return a
    if c == 1 and a.shape[0] == 3:
        w = np.array([0.299, 0.587, 0.114], np.float32)[:, None, None]
        return (a * w).sum(axis=0, keepdims=True)
    if c == 3 and a.shape[0] == 1:
        return np.repeat(a, 3, axis=0)
    raise DataError(f"{path}: image has {a.shape[0]} channels but the model expects {c}; convert the image")


def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize float (C, H, W) per channel with Pillow's bilinear filter (mode ``F``)."""
    if a.shape[1:] == (h, w):
        return a
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(ch.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR))
                     for ch in a]).astype(np.float32)


def load_image(path: str | Path, size: Sequence[int], pixel_max: float = 255.0) -> np.ndarray:
    """Read a PNG/JPEG/BMP/NPY image as float32 (C, H, W) matching a model input ``size`` = (C, H, W).

    8-bit image files are scaled so white is ``pixel_max``; ``.npy`` values are kept as stored
    (they are assumed to be in the training units already). Channels are converted (grey <-> RGB)
    and the image is resized bilinearly when its size differs.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.npy"; np.save(p, np.ones((8, 8), np.uint8))
        >>> load_image(p, (3, 4, 4), pixel_max=1.0).shape
        (3, 4, 4)
    """
    c, h, w = (int(v) for v in size)
    if c not in (1, 3) or h < 1 or w < 1:
        raise DataError(f"input size {tuple(size)} is not (C, H, W) with C = 1 or 3; check the model input size")
    p = require_file(path, "image")
    ext = p.suffix.lower()
    if ext == ".npy":
        a = npy_image(p).astype(np.float32)
    else:
        img = open_image(p)
        a = decode(img, p, "L" if c == 1 else "RGB").astype(np.float32) * np.float32(pixel_max / 255.0)
    return np.ascontiguousarray(_resize(_to_channels(a, c, p), h, w), dtype=np.float32)


def load_images(paths: Sequence[str | Path], size: Sequence[int], pixel_max: float = 255.0) -> np.ndarray:
    """``load_image`` for several files, stacked into one float32 (N, C, H, W) batch.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.npy"; np.save(p, np.zeros((5, 5)))
        >>> load_images([p, p], (1, 5, 5)).shape
        (2, 1, 5, 5)
    """
    c, h, w = (int(v) for v in size)
    if not paths:
        return np.zeros((0, c, h, w), np.float32)
    return np.stack([load_image(p, size, pixel_max) for p in paths])
