"""Notes a run prints about its data before training: a ``limit`` larger than a split (the
split is used whole), a training split with a single class (nothing to learn).

Example:
    >>> limit_notes(100, 60, 20)
    ['limit 100 is more than the 60 training images: all 60 are used', 'limit 100 is more than the 20 test images: all 20 are used']
    >>> class_notes(np.zeros(5, np.int64), ["cat", "dog"])
    ['the training images all belong to one class (cat): the model can only learn to answer it']
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def limit_notes(limit: int | None, n_train: int, n_test: int) -> list[str]:
    """What a ``limit`` larger than a split does (the split is kept whole), one note per split.

    Example:
        >>> limit_notes(10, 60, 20), limit_notes(None, 1, 1)
        ([], [])
    """
    if limit is None:
        return []
    return [f"limit {limit} is more than the {n} {what} images: all {n} are used"
            for n, what in ((n_train, "training"), (n_test, "test")) if 0 < n < limit]


def class_notes(y: np.ndarray, classes: Sequence[str]) -> list[str]:
    """A warning when the training labels hold a single class.

    Example:
        >>> class_notes(np.array([0, 1]), ["a", "b"])
        []
    """
    present = np.unique(np.asarray(y))
    if len(present) == 1:
        k = int(present[0])
        name = classes[k] if 0 <= k < len(classes) else str(k)
        return [f"the training images all belong to one class ({name}): the model can only "
                f"learn to answer it"]
    return []
