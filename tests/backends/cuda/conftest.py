"""CUDA kernel tests: they need a GPU or Numba's CUDA simulator in this very process.

The simulator is chosen by ``NUMBA_ENABLE_CUDASIM=1`` *before* Numba is first imported, so
these tests run in their own pytest process (``.ci/run``); anywhere else they are skipped.
"""
from __future__ import annotations

import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


def device_ready() -> tuple[bool, str]:
    """(ready, why not): the simulator is active in this process, or a GPU is usable."""
    from numba.core import config
    if config.ENABLE_CUDASIM:
        return True, ""
    try:
        from numba import cuda
        if cuda.is_available():
            return True, ""
    except Exception as exc:  # noqa: BLE001 - no CUDA target at all
        return False, f"no CUDA target ({exc})"
    return False, "needs NUMBA_ENABLE_CUDASIM=1 (own pytest process) or a GPU"


def pytest_collection_modifyitems(config, items):
    ready, why = device_ready()
    if ready:
        return
    skip = pytest.mark.skip(reason=why)
    for item in items:
        path = pathlib.Path(str(item.fspath))
        # test_ptx compiles without any device: it manages its own skips.
        if HERE in path.parents and path.name != "test_ptx.py":
            item.add_marker(skip)


@pytest.fixture(scope="session")
def be():
    """The CUDA backend module."""
    import tinygrad_cnn.backends.cuda as backend
    return backend
