"""CUDA kernel tests: they need a GPU or Numba's CUDA simulator in this very process.

The simulator is chosen by ``NUMBA_ENABLE_CUDASIM=1`` *before* Numba is first imported, so
these tests run in their own pytest process (``.ci/run``); anywhere else tests/conftest.py
skips them.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def be():
    """The CUDA backend module."""
    import tinygrad_cnn.backends.cuda as backend
    return backend
