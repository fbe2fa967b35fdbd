"""``digits``: the UCI handwritten digits shipped inside scikit-learn (1797 images, 8x8, 10 classes).

Pixels (16 grey levels, 0..16) are rescaled to uint8 0..255 so that the dataset shares the units
of image files; the test split is a seeded stratified hold-out. scikit-learn is an optional
dependency, imported only here.

Example:
    >>> s = load_digits(seed=0)
    >>> s.input_shape, s.num_classes
    ((1, 8, 8), 10)
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from .dataset import DEFAULT_TEST_FRACTION, Dataset, DatasetSplits, holdout, make_splits
from .errors import DataError


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The raw digits as (1797, 1, 8, 8) uint8 0..255 and (1797,) int64 labels.

    Example:
        >>> x, y = digits_arrays()
        >>> x.shape, int(x.max())
        ((1797, 1, 8, 8), 255)
    """
    images, target = _raw_digits()
    x = np.clip(np.rint(images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    return x.reshape(-1, 1, 8, 8), target.copy()


@functools.lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 64) float pixels 0..16 and int64 labels from scikit-learn's data file.

    Reading ``digits.csv.gz`` straight from the installed package avoids importing scikit-learn
    (several seconds); ``sklearn.datasets.load_digits`` is the fallback if the file moved.
    """
    spec = None
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        pass
    if spec is None:
        raise DataError("the 'digits' dataset needs scikit-learn, which is not installed;"
                        " run 'pip install scikit-learn' (or install tinygrad-cnn with its digits extra)")
    for root in spec.submodule_search_locations or []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",", ndmin=2)
            if table.shape == (1797, 65):
                return table[:, :64], table[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.int64)


def load_digits(seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION) -> DatasetSplits:
    """The digits dataset with a seeded stratified test hold-out (``test_fraction`` of each class).

    Example:
        >>> s = load_digits(seed=1)
        >>> len(s.train) + len(s.test)
        1797
    """
    x, y = digits_arrays()
    classes = [str(i) for i in range(10)]
    train, test = holdout(Dataset(x, y, classes), test_fraction, seed)
    note = f"digits: held out {len(test)} of {len(x)} images ({test_fraction:.0%}, seed {seed}) as the test split"
    return make_splits("digits", train, test, hflip_ok=False, notes=[note])
