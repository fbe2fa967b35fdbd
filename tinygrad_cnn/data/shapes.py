"""The built-in ``shapes`` dataset: coloured shapes and oriented stripes, generated from a seed.

Each image shows one object of its class at a random position, size and colour on a random
background colour with a brightness gradient and pixel noise, so a classifier has to learn
translation-invariant shape and orientation features. Objects are drawn from signed distance
functions with a one-pixel soft edge (anti-aliasing), vectorised over all images of a class.
Horizontal flips turn ``slash`` into ``backslash``: do not flip this dataset.

Example:
    >>> x, y = generate_shapes(8, seed=0)
    >>> x.shape, x.dtype, y.tolist()[:3] == generate_shapes(8, seed=0)[1].tolist()[:3]
    ((8, 3, 32, 32), dtype('uint8'), True)
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset, DatasetSplits, make_splits
from .errors import DataError

CLASSES = ["square", "circle", "triangle", "plus", "ring", "frame",
           "hbars", "vbars", "slash", "backslash"]
_SQRT_HALF = np.float32(np.sqrt(0.5))


def _stripes(t: np.ndarray, period: np.ndarray, width: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Signed distance to the nearest of parallel stripes across coordinate ``t``."""
    u = t / period + phase
    return np.abs(u - np.round(u)) * period - width / 2


def _sdf(cls: int, dx: np.ndarray, dy: np.ndarray, s: np.ndarray, w: np.ndarray,
         period: np.ndarray, phase: np.ndarray, turn: np.ndarray) -> np.ndarray:
    """Signed distance (pixels, negative inside) of class ``cls`` for images of that class.

    ``dx, dy``: (n, H, W) offsets from each object's centre; ``s`` half size, ``w`` stroke width,
    ``period``/``phase`` of stripes and ``turn`` (0..3 quarter turns, triangles only), all (n, 1, 1).
    """
    box = np.maximum(np.abs(dx), np.abs(dy)) - s
    name = CLASSES[cls]
    if name == "square":
        return box
    if name == "circle":
        return np.hypot(dx, dy) - s
    if name == "ring":
        return np.abs(np.hypot(dx, dy) - (s - w / 2)) - w / 2
    if name == "frame":
        return np.abs(box + w / 2) - w / 2
    if name == "plus":
        arm_h = np.maximum(np.abs(dx) - s, np.abs(dy) - w)
        arm_v = np.maximum(np.abs(dy) - s, np.abs(dx) - w)
        return np.minimum(arm_h, arm_v)
    if name == "triangle":
        # Rotate by quarter turns so the apex points up, right, down or left.
        u = np.where(turn == 0, dx, np.where(turn == 1, dy, np.where(turn == 2, -dx, -dy)))
        v = np.where(turn == 0, dy, np.where(turn == 1, -dx, np.where(turn == 2, -dy, dx)))
        # Isosceles triangle, apex (0, -s), base corners (+-s, s): edge normals (+-2, -1)/sqrt(5).
        base = v - s
        side = (2 * np.abs(u) - v - s) / np.float32(np.sqrt(5.0))
        return np.maximum(base, side)
    # Stripes inside a square patch; "/" runs where x + y is constant (y grows downwards).
    t = {"hbars": dy, "vbars": dx, "slash": (dx + dy) * _SQRT_HALF, "backslash": (dx - dy) * _SQRT_HALF}[name]
    return np.maximum(box, _stripes(t, period, w, phase))


def _colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Background and foreground RGB colours (n, 3) in 0..255, at least 100 apart."""
    bg = rng.uniform(0, 255, (n, 3)).astype(np.float32)
    fg = rng.uniform(0, 255, (n, 3)).astype(np.float32)
    for _ in range(100):  # resample the few too-similar pairs; converges in a handful of rounds
        bad = np.linalg.norm(fg - bg, axis=1) < 100
        if not bad.any():
            break
        fg[bad] = rng.uniform(0, 255, (int(bad.sum()), 3))
    bad = np.linalg.norm(fg - bg, axis=1) < 100
    fg[bad] = 255 - bg[bad]
    return bg, fg


def generate_shapes(n: int, seed: int = 0, size: int = 32, noise: float = 12.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` images (n, 3, size, size) uint8 with balanced labels (n,) int64, deterministically.

    Example:
        >>> x, y = generate_shapes(20, seed=1, size=24)
        >>> x.shape, sorted(set(y.tolist())) == list(range(10))
        ((20, 3, 24, 24), True)
    """
    if n < 0 or size < 12:
        raise DataError(f"shapes: need n >= 0 and size >= 12, got n={n}, size={size}; pass larger values")
    rng = np.random.default_rng(seed)
    k = len(CLASSES)
    y = rng.permutation(np.arange(n) % k).astype(np.int64)
    scale = size / 32.0
    # Per-image geometry: half size, centre keeping the object inside the frame, stroke, stripes.
    s = rng.uniform(6.0, 12.0, n).astype(np.float32) * scale
    margin = s + 1.0
    cx = (margin + rng.uniform(0, 1, n) * (size - 1 - 2 * margin)).astype(np.float32)
    cy = (margin + rng.uniform(0, 1, n) * (size - 1 - 2 * margin)).astype(np.float32)
    period = rng.uniform(4.0, 6.0, n).astype(np.float32) * max(scale, 1.0)
    w = (period * rng.uniform(0.4, 0.6, n)).astype(np.float32)
    w = np.where(np.isin(y, [3, 4, 5]), np.maximum(w * 0.8, 2.0 * scale), w).astype(np.float32)
    phase = rng.uniform(0, 1, n).astype(np.float32)
    turn = rng.integers(0, 4, n)
    bg, fg = _colours(rng, n)
    grad = rng.uniform(-40, 40, (n, 2)).astype(np.float32)

    coords = np.arange(size, dtype=np.float32)
    alpha = np.empty((n, size, size), np.float32)
    for c in range(k):
        idx = np.flatnonzero(y == c)
        if idx.size == 0:
            continue
        col = lambda a: a[idx][:, None, None]  # noqa: E731 - per-image parameter broadcast over pixels
        dx = coords[None, None, :] - col(cx)
        dy = coords[None, :, None] - col(cy)
        d = _sdf(c, dx, dy, col(s), col(w), col(period), col(phase), col(turn))
        alpha[idx] = np.clip(0.5 - d, 0.0, 1.0)
    # Background: a colour with a linear brightness gradient; composited in cache-sized chunks.
    ramp = coords / (size - 1) - 0.5
    out = np.empty((n, 3, size, size), np.uint8)
    for i in range(0, n, 256):
        j = min(i + 256, n)
        img = rng.standard_normal((j - i, 3, size, size), dtype=np.float32)
        img *= np.float32(noise)
        img += bg[i:j, :, None, None]
        img += (grad[i:j, 0, None, None] * ramp[None, None, :]
                + grad[i:j, 1, None, None] * ramp[None, :, None])[:, None]
        img += alpha[i:j, None] * (fg[i:j, :, None, None] - bg[i:j, :, None, None])
        np.clip(img, 0, 255, out=img)
        np.rint(img, out=img)
        out[i:j] = img
    return out, y


def load_shapes(seed: int = 0, n_train: int = 6000, n_test: int = 1000, size: int = 32,
                noise: float = 12.0) -> DatasetSplits:
    """The ``shapes`` dataset: train and test drawn from independent streams of ``seed``.

    The test images do not depend on ``n_train`` (and vice versa).

    Example:
        >>> s = load_shapes(seed=0, n_train=30, n_test=10)
        >>> s.classes[:3], s.hflip_ok
        (['square', 'circle', 'triangle'], False)
    """
    for key, v in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise DataError(f"shapes: {key} must be a positive integer, got {v!r}")
    train_seed, test_seed = np.random.SeedSequence(seed).spawn(2)
    xtr, ytr = generate_shapes(int(n_train), seed=train_seed, size=size, noise=noise)
    xte, yte = generate_shapes(int(n_test), seed=test_seed, size=size, noise=noise)
    return make_splits("shapes", Dataset(xtr, ytr, CLASSES), Dataset(xte, yte, CLASSES), hflip_ok=False)
