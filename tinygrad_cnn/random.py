"""The framework's random stream: one seedable generator for initialisation and dropout.

Example:
    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> tg.randn(2, 3).shape
    (2, 3)
"""
from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the global generator so that initialisation and dropout repeat exactly."""
    global _generator
    _generator = np.random.default_rng(int(seed))


def generator() -> np.random.Generator:
    """The global generator (layers draw their initial weights from it)."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """A JSON-serialisable snapshot of the global generator (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by :func:`get_rng_state`."""
    _generator.bit_generator.state = state


def next_seed() -> int:
    """A fresh 63-bit seed for a kernel-side random stream (dropout masks)."""
    return int(_generator.integers(0, 2**63 - 1))
