"""Shared test settings: hypothesis profiles sized so the whole suite stays under 10 minutes,
and the one skip of ``cuda``-marked tests where no CUDA device is usable (the ``cuda`` mark of
``backends/cuda`` is given in the repository's root conftest.py)."""
import functools
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "tgcnn", deadline=None, max_examples=int(os.environ.get("TGCNN_EXAMPLES", "25")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")), database=None if os.environ.get("CI") else
    settings.default.database)
settings.load_profile("tgcnn")


@functools.lru_cache(maxsize=None)
def device_ready() -> tuple[bool, str]:
    """(ready, why not): the CUDA simulator is active in this process, or a GPU is usable."""
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


@pytest.fixture(autouse=True)
def _skip_cuda_without_device(request):
    """Skip a ``cuda``-marked test when no device is usable (the simulator is chosen before
    Numba is imported, so these tests run in their own pytest process: ``.ci/run``).
    test_ptx.py compiles without any device and manages its own skips."""
    if request.node.get_closest_marker("cuda") and request.node.path.name != "test_ptx.py":
        ready, why = device_ready()
        if not ready:
            pytest.skip(why)
