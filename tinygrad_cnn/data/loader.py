"""Mini-batches for training and evaluation: shuffle, normalise, augment, resume exactly.

The loader owns a ``numpy.random.Generator``. At the start of each epoch it records the
generator's state, then draws the epoch's permutation and an augmentation key; batch ``b`` is
augmented with a generator seeded by ``(key, b)``. ``state_dict()`` therefore only needs the
epoch's start state and the number of batches handed out: a restored loader replays the same
permutation and continues with batch ``position``, so an interrupted run resumes exactly.
Augmentation (random crop from a zero-padded image, i.e. mean-padded after normalisation, and an
optional horizontal flip) is vectorised over the whole batch.

Example:
    >>> x = np.arange(6 * 3 * 8 * 8, dtype=np.uint8).reshape(6, 3, 8, 8); y = np.arange(6) % 2
    >>> dl = DataLoader(x, y, batch_size=4, seed=0, normalise=([1, 1, 1], [2, 2, 2]), augment=True)
    >>> [(xb.shape, xb.dtype, yb.dtype) for xb, yb in dl][0]
    ((4, 3, 8, 8), dtype('float32'), dtype('int64'))
    >>> len(dl)
    2
"""
from __future__ import annotations

import copy
from typing import Any, Iterator, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import DataError
from .normalize import Normalizer


def default_pad(height: int, width: int) -> int:
    """Crop padding for an image size: 4 pixels at 32x32, scaled with the smaller side, at least 1.

    Example:
        >>> default_pad(32, 32), default_pad(8, 8), default_pad(224, 224)
        (4, 1, 28)
    """
    return max(1, int(round(4 * min(height, width) / 32)))


def random_crop(x: np.ndarray, pad: int, rng: np.random.Generator, buf: np.ndarray | None = None) -> np.ndarray:
    """Pad each image of (B, C, H, W) by ``pad`` zeros and crop a random H x W window, all at once.

    ``buf`` is an optional zero-bordered (>=B, C, H+2p, W+2p) scratch array of ``x``'s dtype.

    Example:
        >>> out = random_crop(np.ones((2, 1, 4, 4), np.float32), 1, np.random.default_rng(0))
        >>> out.shape, float(out.sum()) >= 2 * 9
        ((2, 1, 4, 4), True)
    """
    b, c, h, w = x.shape
    if pad <= 0 or b == 0:
        return x
    if buf is None:
        buf = np.zeros((b, c, h + 2 * pad, w + 2 * pad), x.dtype)
    padded = buf[:b]
    padded[:, :, pad:pad + h, pad:pad + w] = x
    oy = rng.integers(0, 2 * pad + 1, b)
    ox = rng.integers(0, 2 * pad + 1, b)
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))  # (B, C, 2p+1, 2p+1, H, W), no copy
    return windows[np.arange(b), :, oy, ox]  # advanced indices around a slice: result is (B, C, H, W)


def random_hflip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mirror a random half (each image with probability 1/2) of a (B, C, H, W) batch left-right, in place.

    Example:
        >>> x = np.arange(8, dtype=np.float32).reshape(4, 1, 1, 2)
        >>> random_hflip(x, np.random.default_rng(0))[:, 0, 0].tolist()
        [[0.0, 1.0], [3.0, 2.0], [5.0, 4.0], [7.0, 6.0]]
    """
    flip = rng.random(x.shape[0]) < 0.5
    if flip.any():
        x[flip] = x[flip][..., ::-1]
    return x


def _state_to_json(state: dict) -> dict:
    """Bit-generator state with its 128-bit integers as strings (JSON- and HDF5-attribute-safe)."""
    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(u) for k, u in v.items()}
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(int(v))
        if isinstance(v, np.ndarray):
            return [str(int(u)) for u in v.tolist()]
        return v
    return conv(state)


def _state_from_json(state: dict) -> dict:
    def conv(k: str, v: Any) -> Any:
        if isinstance(v, dict):
            return {kk: conv(kk, u) for kk, u in v.items()}
        if k == "bit_generator":
            return v
        if isinstance(v, list):
            return np.array([int(u) for u in v], dtype=np.uint64)
        return int(v) if isinstance(v, (str, int)) else v
    return {k: conv(k, v) for k, v in state.items()}


class DataLoader:
    """Iterate over (x float32 (B, C, H, W) normalised, y int64 (B,)) batches of an in-memory dataset.

    Args:
        x, y: images (N, C, H, W) uint8/float and labels (N,).
        batch_size: examples per batch (the last one may be smaller unless ``drop_last``).
        shuffle: draw a new permutation each epoch from the loader's own generator.
        seed: seed of that generator.
        normalise: ``(mean, std)`` per channel (in the units of ``x``), or None for plain float32.
        augment: random crop with padding (and ``flip`` if set); only for training.
        flip: horizontal flips as part of augmentation; wrong for digits, text and oriented edges.
        pad: crop padding in pixels; default scales 4 px at 32x32 with the image size.

    Example:
        >>> x = np.zeros((10, 1, 8, 8), np.uint8); y = np.arange(10) % 2
        >>> dl = DataLoader(x, y, batch_size=4, shuffle=True, seed=1)
        >>> [len(yb) for _, yb in dl], dl.epoch
        ([4, 4, 2], 1)
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int = 32, shuffle: bool = True,
                 seed: int | np.random.SeedSequence = 0,
                 normalise: tuple[Sequence[float], Sequence[float]] | None = None,
                 augment: bool = False, flip: bool = False, pad: int | None = None,
                 drop_last: bool = False) -> None:
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 4:
            raise DataError(f"loader: images must be (N, C, H, W), got shape {x.shape}")
        if y.shape != (x.shape[0],):
            raise DataError(f"loader: {x.shape[0]} images but labels of shape {y.shape}")
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise DataError(f"batch size must be a positive integer, got {batch_size!r}; pass e.g. `batch_size=32`")
        self.x, self.y = x, np.ascontiguousarray(y, dtype=np.int64)
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        c, h, w = x.shape[1:]
        self._norm = Normalizer(normalise[0], normalise[1], c, "loader") \
            if normalise is not None else None
        self.augment, self.flip = bool(augment), bool(flip)
        self.pad = default_pad(h, w) if pad is None else int(pad)
        if self.pad < 0:
            raise DataError(f"loader: crop padding must be >= 0, got {pad}")
        self._buf = np.zeros((self.batch_size, c, h + 2 * self.pad, w + 2 * self.pad), np.float32) \
            if self.augment and self.pad else None
        self._rng = np.random.default_rng(seed)
        self._epoch = 0
        self._pos = 0          # batches of the current epoch handed out
        self._start = None     # generator state at the start of the current epoch, None between epochs

    def __len__(self) -> int:
        n, b = len(self.y), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    @property
    def epoch(self) -> int:
        """Number of completed epochs."""
        return self._epoch

    @property
    def position(self) -> int:
        """Batches of the current epoch handed out so far (0 between epochs)."""
        return self._pos

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self._start is None:
            self._start = copy.deepcopy(self._rng.bit_generator.state)
            self._pos = 0
        else:  # continue an interrupted epoch: replay its draws from the recorded start state
            self._rng.bit_generator.state = copy.deepcopy(self._start)
        perm = self._rng.permutation(len(self.y)) if self.shuffle else np.arange(len(self.y))
        key = int(self._rng.integers(0, 2**63 - 1))
        return self._batches(perm, key)

    def _batches(self, perm: np.ndarray, key: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for b in range(self._pos, len(self)):
            idx = perm[b * self.batch_size:(b + 1) * self.batch_size]
            xb = self.batch(idx, np.random.default_rng([key, b]) if self.augment else None)
            self._pos = b + 1
            yield xb, self.y[idx]
        self._start, self._pos = None, 0
        self._epoch += 1

    def batch(self, idx: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Images ``idx`` as normalised float32, augmented when the loader augments and ``rng`` is given.

        Example:
            >>> DataLoader(np.full((3, 1, 2, 2), 4, np.uint8), np.zeros(3), normalise=([2], [2])).batch([0])[0, 0, 0]
            array([1., 1.], dtype=float32)
        """
        out = self.x[idx]
        out = self._norm(out) if self._norm is not None else out.astype(np.float32)
        if rng is not None and self.augment:
            out = random_crop(out, self.pad, rng, self._buf)
            if self.flip:
                out = random_hflip(out, rng)
        return out

    def state_dict(self) -> dict:
        """The loader's position and random state, JSON-serialisable; take it after the step on the last batch.

        Example:
            >>> dl = DataLoader(np.zeros((4, 1, 2, 2)), np.zeros(4), batch_size=2)
            >>> sorted(dl.state_dict())
            ['batch_size', 'epoch', 'num_examples', 'position', 'rng', 'shuffle']
        """
        state = self._start if self._start is not None else self._rng.bit_generator.state
        return {"epoch": self._epoch, "position": self._pos, "rng": _state_to_json(state),
                "num_examples": len(self.y), "batch_size": self.batch_size, "shuffle": self.shuffle}

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``; the next iteration continues exactly where that state was taken.

        Example:
            >>> a = DataLoader(np.zeros((4, 1, 2, 2)), np.arange(4), batch_size=2, seed=5)
            >>> b = DataLoader(np.zeros((4, 1, 2, 2)), np.arange(4), batch_size=2, seed=9)
            >>> b.load_state_dict(a.state_dict())
            >>> [y.tolist() for _, y in a] == [y.tolist() for _, y in b]
            True
        """
        try:
            n, bs = int(state["num_examples"]), int(state["batch_size"])
            epoch, pos = int(state["epoch"]), int(state["position"])
            rng_state = _state_from_json(dict(state["rng"]))
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"loader state is incomplete or malformed ({type(e).__name__}: {e});"
                            " the checkpoint is corrupt, start a new run") from None
        if n != len(self.y) or bs != self.batch_size or bool(state.get("shuffle", self.shuffle)) != self.shuffle:
            raise DataError(f"loader state is for {n} examples in batches of {bs}, this loader has {len(self.y)}"
                            f" in batches of {self.batch_size}; resume with the same data, split and batch size")
        if not 0 <= pos <= len(self):
            raise DataError(f"loader state position {pos} is outside 0..{len(self)}; the checkpoint is corrupt")
        try:
            self._rng.bit_generator.state = rng_state
        except (ValueError, TypeError, KeyError) as e:
            raise DataError(f"loader state has an unusable random state ({e}); the checkpoint is corrupt") from None
        self._epoch, self._pos = epoch, pos
        self._start = copy.deepcopy(rng_state) if pos > 0 else None
