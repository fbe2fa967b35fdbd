"""The one per-channel normalisation of images: ``(x - mean) * (1 / std)`` in float32.

Training batches (:class:`~tinygrad_cnn.data.DataLoader`), evaluation, prediction and
visualisation all go through :class:`Normalizer`, so a model sees bit-identical inputs on
every path. The reciprocal ``1 / std`` is taken once in float32 and multiplied (cheaper than a
division per pixel); the subtraction and the product are each rounded to float32.

Example:
    >>> import numpy as np
    >>> normalize(np.full((1, 2, 1, 1), 4, np.uint8), [2, 0], [2, 4]).ravel().tolist()
    [1.0, 1.0]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import DataError

__all__ = ["Normalizer", "normalize"]


class Normalizer:
    """Checked per-channel statistics for ``channels`` channels, applied to many batches.

    ``mean`` None means zeros, ``std`` None ones. A wrong count, a non-finite mean or a std
    that is not a positive number raises :class:`DataError` naming ``op``.

    Example:
        >>> norm = Normalizer([0.5], [0.25], 1)
        >>> norm(np.ones((2, 1, 1, 1))).ravel().tolist()
        [2.0, 2.0]
        >>> try:
        ...     Normalizer([0, 0], None, 3)
        ... except DataError as err:
        ...     print(err)
        normalize: normalisation needs 3 finite means and positive stds, got mean [0.0, 0.0] std [1.0, 1.0, 1.0]
    """

    def __init__(self, mean: Sequence[float] | None, std: Sequence[float] | None,
                 channels: int, op: str = "normalize") -> None:
        m = np.asarray(mean if mean is not None else np.zeros(channels), np.float32).reshape(-1)
        s = np.asarray(std if std is not None else np.ones(channels), np.float32).reshape(-1)
        if m.shape != (channels,) or s.shape != (channels,) or not np.all(s > 0) \
                or not np.all(np.isfinite(m)) or not np.all(np.isfinite(s)):
            raise DataError(f"{op}: normalisation needs {channels} finite means and positive "
                            f"stds, got mean {m.tolist()} std {s.tolist()}")
        self.channels, self.op = int(channels), op
        self.mean = m[:, None, None]
        self.scale = (np.float32(1) / s)[:, None, None]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Images (N, C, H, W) or (C, H, W) in dataset units as a new float32 array."""
        x = np.asarray(x)
        if x.ndim not in (3, 4) or x.shape[-3] != self.channels:
            raise DataError(f"{self.op}: images must be (N, C, H, W) or (C, H, W) with "
                            f"C={self.channels}, got shape {x.shape}")
        out = x.astype(np.float32)            # always a new array, normalised in place
        out -= self.mean
        out *= self.scale
        return out


def normalize(x: np.ndarray, mean: Sequence[float] | None, std: Sequence[float] | None
              ) -> np.ndarray:
    """Images (N, C, H, W) or (C, H, W) in dataset units as a new float32 array
    ``(x - mean) * (1 / std)`` per channel (the checks of :class:`Normalizer`).

    Example:
        >>> normalize(np.array([[[0.0]], [[255.0]]]), [127.5, 127.5], [127.5, 127.5]).ravel()
        array([-1.,  1.], dtype=float32)
    """
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise DataError(f"normalize: images must be (N, C, H, W) or (C, H, W), got shape "
                        f"{x.shape}")
    return Normalizer(mean, std, x.shape[-3])(x)
