"""Comparisons with a bool result (numpy ufuncs).

Example:
    >>> compare(np.array([1.0, np.nan, 3.0]), np.array(2.0), "<").tolist()
    [True, False, False]
"""
from __future__ import annotations

import numpy as np

__all__ = ["compare"]

_UFUNCS = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
           ">": np.greater, ">=": np.greater_equal}


def compare(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    """bool ``a OP b`` with broadcasting."""
    return np.asarray(_UFUNCS[op](a, b))
