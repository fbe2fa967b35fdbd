"""In-memory datasets: ``Dataset`` (one split), ``DatasetSplits`` (train + test) and ``DataInfo``
(what a model needs to know about its data).

Images are ``(N, C, H, W)`` arrays of ``uint8`` (pixels 0..255) or ``float32``; labels are
``(N,)`` ``int64`` in ``0..K-1``. Normalisation statistics are per channel, measured on the
training split, in the units of ``x`` (0..255 for ``uint8`` data): the loader and predict compute
``(x - mean) / std`` from exactly these numbers.

Example:
    >>> import numpy as np
    >>> x = np.zeros((4, 1, 2, 2), np.uint8); y = np.array([0, 1, 0, 1])
    >>> s = make_splits("toy", Dataset(x, y, ["a", "b"]), Dataset(x, y, ["a", "b"]))
    >>> s.input_shape, s.num_classes
    ((1, 2, 2), 2)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import DataError

DEFAULT_TEST_FRACTION = 0.15


@dataclass
class Dataset:
    """One split: images ``x`` (N, C, H, W) uint8/float32, labels ``y`` (N,) int64, class names.

    Example:
        >>> d = Dataset(np.zeros((2, 3, 4, 4), np.uint8), np.array([0, 1]), ["a", "b"])
        >>> len(d), d.y.dtype
        (2, dtype('int64'))
    """

    x: np.ndarray
    y: np.ndarray
    classes: list[str]

    def __post_init__(self) -> None:
        if self.x.ndim != 4:
            raise DataError(f"images must be (N, C, H, W), got shape {self.x.shape}")
        if self.x.dtype not in (np.uint8, np.float32):
            self.x = self.x.astype(np.float32)
        self.y = np.ascontiguousarray(self.y, dtype=np.int64)
        if self.y.shape != (self.x.shape[0],):
            raise DataError(f"{self.x.shape[0]} images but labels of shape {self.y.shape}")
        self.classes = [str(c) for c in self.classes]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index: np.ndarray) -> "Dataset":
        """Return the examples at ``index`` (a copy), keeping the class names.

        Example:
            >>> Dataset(np.zeros((3, 1, 1, 1), np.uint8), np.array([0, 1, 0]), ["a", "b"]).subset(np.array([1])).y
            array([1])
        """
        return Dataset(self.x[index], self.y[index], list(self.classes))


@dataclass
class DataInfo:
    """What a model needs to know about its data to be reused (checkpoints store it): the
    dataset (its spec, e.g. ``cifar10:~/data``), class names, input shape ``(C, H, W)``, and
    the per-channel ``mean``/``std`` of the training split in the units of its images.

    ``pixel_max`` is the value a white 8-bit pixel has in those units (255 for ``uint8`` data,
    1 for float data in 0..1) so that predict can bring a PNG into the same units;
    ``hflip_ok`` says whether a horizontal flip keeps labels valid (False for digits, letters
    and oriented edges); ``notes`` holds one-line remarks for the user, e.g. which array layout
    was assumed.

    Example:
        >>> info = DataInfo("shapes", ["a", "b"], [3, 8, 8], [0.5] * 3, [0.25] * 3)
        >>> DataInfo.from_metadata(info.to_metadata()) == info
        True
    """

    dataset: str
    classes: list[str]
    input_shape: list[int]
    mean: list[float]
    std: list[float]
    pixel_max: float = 255.0
    hflip_ok: bool = False
    notes: list[str] = field(default_factory=list)

    def to_metadata(self) -> dict[str, Any]:
        """The metadata keys ``tgcnn eval``/``predict`` read back."""
        return dataclasses.asdict(self)

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> "DataInfo":
        """Read back :meth:`to_metadata` (raises ``KeyError`` naming a missing key)."""
        for key in ("classes", "input_shape", "mean", "std"):
            if key not in meta:
                raise KeyError(key)
        return cls(dataset=str(meta.get("dataset", "")), classes=[str(c) for c in meta["classes"]],
                   input_shape=[int(v) for v in meta["input_shape"]],
                   mean=[float(v) for v in meta["mean"]], std=[float(v) for v in meta["std"]],
                   pixel_max=float(meta.get("pixel_max", 255.0)),
                   hflip_ok=bool(meta.get("hflip_ok", False)),
                   notes=[str(n) for n in meta.get("notes", [])])


@dataclass
class DatasetSplits:
    """A dataset's train and test splits and what a model needs to reuse it (:class:`DataInfo`,
    whose ``dataset`` is the dataset's ``name``); its fields read as attributes here too.

    Example:
        >>> from tinygrad_cnn.data import load_dataset
        >>> s = load_dataset("shapes", n_train=20, n_test=10)
        >>> s.input_shape, len(s.train), len(s.test), s.info.input_shape
        ((3, 32, 32), 20, 10, [3, 32, 32])
    """

    train: Dataset
    test: Dataset
    info: DataInfo

    @property
    def name(self) -> str:
        """The dataset's name (``shapes``, ``cifar10``...)."""
        return self.info.dataset

    @property
    def classes(self) -> list[str]:
        """Class names; labels are their indices."""
        return self.info.classes

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(C, H, W)`` of one image."""
        return tuple(self.info.input_shape)

    @property
    def mean(self) -> tuple[float, ...]:
        """Per-channel mean of ``train.x``, in its units."""
        return tuple(self.info.mean)

    @property
    def std(self) -> tuple[float, ...]:
        """Per-channel standard deviation of ``train.x`` (1 where a channel is constant)."""
        return tuple(self.info.std)

    @property
    def pixel_max(self) -> float:
        """The value of a white 8-bit pixel in the units of ``train.x``."""
        return self.info.pixel_max

    @property
    def hflip_ok(self) -> bool:
        """Whether a horizontal flip keeps the labels valid."""
        return self.info.hflip_ok

    @property
    def notes(self) -> list[str]:
        """One-line remarks for the user."""
        return self.info.notes

    @property
    def num_classes(self) -> int:
        """Number of classes ``K`` (labels are ``0..K-1``)."""
        return len(self.info.classes)


def channel_stats(x: np.ndarray, chunk: int = 2048) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of ``x`` (N, C, H, W) in float64, in chunks (no full float copy).

    A channel with zero spread gets std 1 so that normalising never divides by zero.

    Example:
        >>> channel_stats(np.array([[[[0, 2]]]], np.uint8))
        ((1.0,), (1.0,))
    """
    n, c = x.shape[:2]
    if n == 0:
        return tuple([0.0] * c), tuple([1.0] * c)
    s = np.zeros(c)
    ss = np.zeros(c)
    for i in range(0, n, chunk):
        part = x[i:i + chunk].astype(np.float64)
        s += part.sum(axis=(0, 2, 3))
        ss += np.square(part).sum(axis=(0, 2, 3))
    count = n * x.shape[2] * x.shape[3]
    mean = s / count
    var = np.maximum(ss / count - mean**2, 0.0)
    std = np.sqrt(var)
    std = np.where(std > 1e-6 * max(1.0, float(np.abs(mean).max())), std, 1.0)
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def check_labels(y: np.ndarray, where: str, num_classes: int | None = None) -> np.ndarray:
    """Validate labels and return them as int64: integral, non-negative, below ``num_classes``.

    Example:
        >>> check_labels(np.array([0.0, 2.0]), "y", 3)
        array([0, 2])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        else:
            raise DataError(f"{where}: labels must be a 1-D array of class indices, got shape {y.shape};"
                            " store one integer label per image (not one-hot)")
    if y.dtype == bool:
        y = y.astype(np.int64)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            bad = y[~np.isfinite(y) | (y != np.round(y))][0]
            raise DataError(f"{where}: labels must be integers 0..K-1, found {bad!r}; store class indices")
    elif y.dtype.kind not in "iu":
        raise DataError(f"{where}: labels must be integers 0..K-1, found dtype {y.dtype}; store class indices")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise DataError(f"{where}: labels must be 0..K-1, found negative label {int(y.min())}; relabel the classes")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise DataError(f"{where}: label {int(y.max())} is out of range for {num_classes} classes"
                        f" (expected 0..{num_classes - 1}); fix the labels or the class list")
    return y


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split of indices: (keep, held_out), each sorted.

    Each class gives ``round(fraction * n_c)`` examples to the held-out part (at least one when
    it has two or more and the fraction is positive), and keeps at least one.

    Example:
        >>> keep, out = stratified_split(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 0.25, seed=0)
        >>> len(keep), len(out), sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1])[out].tolist())
        (6, 2, [0, 1])
    """
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"split fraction must be in [0, 1), got {fraction}; pass e.g. 0.1")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(fraction * len(idx)))
        if fraction > 0 and len(idx) >= 2:
            k = max(k, 1)
        k = min(k, len(idx) - 1)
        if k > 0:
            held.append(rng.permutation(idx)[:k])
    out = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    mask = np.ones(len(y), bool)
    mask[out] = False
    return np.flatnonzero(mask), out


def train_val_split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified split into (x_train, y_train, x_val, y_val); ``fraction`` 0 gives an empty val.

    Example:
        >>> x = np.arange(10).reshape(10, 1, 1, 1); y = np.array([0, 1] * 5)
        >>> [a.shape[0] for a in train_val_split(x, y, 0.2, seed=0)]
        [8, 8, 2, 2]
    """
    keep, out = stratified_split(y, fraction, seed)
    return x[keep], y[keep], x[out], y[out]


def holdout(ds: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Split one ``Dataset`` into (train, test) with a seeded stratified hold-out.

    Example:
        >>> d = Dataset(np.zeros((20, 1, 1, 1), np.uint8), np.arange(20) % 2, ["a", "b"])
        >>> [len(p) for p in holdout(d, 0.15, seed=0)]
        [16, 4]
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"test_fraction must be in (0, 1), got {fraction}; pass e.g. 0.15")
    keep, out = stratified_split(ds.y, fraction, seed)
    return ds.subset(keep), ds.subset(out)


def pixel_max_of(x: np.ndarray) -> float:
    """The value of a white 8-bit pixel in the units of ``x``: 255 for uint8, 1 for floats in 0..1.

    Example:
        >>> pixel_max_of(np.array([0.2, 0.9], np.float32))
        1.0
    """
    if x.dtype == np.uint8 or x.size == 0:
        return 255.0
    return 1.0 if float(np.max(x)) <= 1.0 else 255.0


def make_splits(name: str, train: Dataset, test: Dataset, *, hflip_ok: bool = False,
                notes: Sequence[str] = (), pixel_max: float | None = None) -> DatasetSplits:
    """Bundle two splits, checking they agree, and measure normalisation on the training split.

    Example:
        >>> x = np.full((2, 1, 2, 2), 10, np.uint8); d = Dataset(x, np.array([0, 1]), ["a", "b"])
        >>> make_splits("toy", d, d).mean
        (10.0,)
    """
    if len(train) == 0:
        raise DataError(f"{name}: the training split is empty; add training images")
    if train.x.shape[1:] != test.x.shape[1:]:
        raise DataError(f"{name}: train images are {train.x.shape[1:]} (C, H, W) but test images are "
                        f"{test.x.shape[1:]}; make both splits the same size")
    if train.x.dtype != test.x.dtype:  # one uint8 and one float split: keep both as float32
        train = Dataset(train.x.astype(np.float32), train.y, train.classes)
        test = Dataset(test.x.astype(np.float32), test.y, test.classes)
    classes = list(train.classes)
    for part, d in (("train", train), ("test", test)):
        check_labels(d.y, f"{name} ({part})", len(classes))
    mean, std = channel_stats(train.x)
    info = DataInfo(name, classes, [int(s) for s in train.x.shape[1:]], [float(m) for m in mean],
                    [float(s) for s in std],
                    float(pixel_max if pixel_max is not None else pixel_max_of(train.x)),
                    bool(hflip_ok), list(notes))
    return DatasetSplits(train, test, info)
