"""The small CNN that the ``filters`` and ``activations`` labs look inside: three conv blocks
trained briefly on the built-in ``shapes`` data (seeded, no augmentation).

Example:
    >>> net = build(10)
    >>> [name for name, _ in net.named_children()][:4]
    ['0', '1', '2', '3']
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.data import load_dataset
from tinygrad_cnn.training import OptionError, evaluate

from .common import train_classifier

#: first conv: 8 filters of 5x5x3 (big enough to see an edge in), then 16 and 32 3x3 filters
FIRST_FILTERS, FIRST_KERNEL = 8, 5
#: the blocks' last layers (the output of each conv block) in :func:`build`'s numbering
BLOCK_ENDS = ("2", "5", "7")


def build(classes: int) -> nn.Sequential:
    """conv5x5(8)+ReLU+pool, conv3x3(16)+ReLU+pool, conv3x3(32)+ReLU, global avg pool, Linear."""
    return nn.Sequential(
        nn.Conv2d(3, FIRST_FILTERS, FIRST_KERNEL, padding=FIRST_KERNEL // 2), nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(FIRST_FILTERS, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes))


@dataclass
class Trained:
    """A trained model with its test images (dataset units), labels, class names,
    normalisation and accuracies."""

    model: nn.Sequential
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    mean: np.ndarray
    std: np.ndarray
    train_acc: float
    test_acc: float
    n_train: int

    def normalised(self, x: np.ndarray) -> np.ndarray:
        """Images in dataset units, normalised as in training.

        Example:
            >>> t = Trained(build(2), None, None, [], np.array([1.0] * 3, np.float32),
            ...             np.array([2.0] * 3, np.float32), 0.0, 0.0, 0)
            >>> float(t.normalised(np.full((1, 3, 1, 1), 5, np.uint8))[0, 0, 0, 0])
            2.0
        """
        return ((x.astype(np.float32) - self.mean[:, None, None]) / self.std[:, None, None]
                ).astype(np.float32)


def train(seed: int = 0, epochs: int = 8, n_train: int = 2000, n_test: int = 300) -> Trained:
    """Generate ``shapes`` from ``seed`` and train :func:`build` on it for ``epochs`` epochs.

    Example:
        >>> t = train(seed=0, epochs=1, n_train=20, n_test=10)
        >>> t.x_test.shape, t.n_train, 0.0 <= t.test_acc <= 1.0
        ((10, 3, 32, 32), 20, True)
    """
    for name, value in (("epochs", epochs), ("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise OptionError(name, f"must be a positive integer, got {value!r}")
    splits = load_dataset("shapes", seed=seed, n_train=n_train, n_test=n_test)
    tg.manual_seed(seed)
    model = build(splits.num_classes)
    history = train_classifier(model, splits.train.x, splits.train.y, epochs=epochs, seed=seed,
                               normalise=(splits.mean, splits.std))
    test = evaluate(model, splits.test.x, splits.test.y, mean=splits.mean, std=splits.std)
    return Trained(model, splits.test.x, splits.test.y, list(splits.classes),
                   np.asarray(splits.mean, np.float32), np.asarray(splits.std, np.float32),
                   float(history[-1]["train_acc"]), test.accuracy, len(splits.train))
