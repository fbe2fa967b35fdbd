"""Constructor-argument checks shared by the layers: one clear error per bad argument."""
from __future__ import annotations

from typing import Any

import numpy as np


def positive_int(value: Any, name: str, layer: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a ``TypeError``/``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{layer}: {name} must be >= {minimum}, got {value}")
    return int(value)


def pair(value: Any, name: str, layer: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (JSON gives lists) as a tuple of two ints >= ``minimum``."""
    items = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(items) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    return (positive_int(items[0], name, layer, minimum),
            positive_int(items[1], name, layer, minimum))


def int_or_pair(value: Any, name: str, layer: str, minimum: int) -> int | tuple[int, int]:
    """Validate like :func:`pair` but keep an int an int (PyTorch's pooling attributes)."""
    checked = pair(value, name, layer, minimum)
    return checked if isinstance(value, (tuple, list)) else checked[0]


def jsonable(value: Any) -> Any:
    """Tuples as lists, so that a configuration survives a JSON round trip unchanged."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


def probability(value: Any, name: str, layer: str) -> float:
    """A float in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{layer}: {name} must be a number, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{layer}: {name} must be in [0, 1], got {value}")
    return float(value)


def boolean(value: Any, name: str, layer: str) -> bool:
    """A bool (not any truthy value: ``bias="no"`` is a mistake, not ``True``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer}: {name} must be true or false, got {value!r}")
    return bool(value)
