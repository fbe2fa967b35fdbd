"""The CUDA target in use is numba-cuda's, and the backend reports availability in one line."""
import os
import subprocess
import sys

import numba
import pytest
from numba import cuda


def test_numba_cuda_package_provides_the_target():
    import numba_cuda
    assert cuda.implementation == "NVIDIA"
    assert os.path.dirname(numba_cuda.__file__) in os.path.abspath(cuda.__file__)


def test_simulator_is_numba_cuda_simulator_when_enabled():
    if not numba.core.config.ENABLE_CUDASIM:
        pytest.skip("running on a real GPU")
    import numba_cuda
    arr = cuda.to_device([1.0, 2.0])
    module = sys.modules[type(arr).__module__]
    assert os.path.dirname(numba_cuda.__file__) in os.path.abspath(module.__file__)
    assert "simulator" in type(arr).__module__


def test_ensure_available_passes_here(be):
    be.ensure_available()
    assert be.unavailable_reason() is None


def test_get_backend_returns_the_cuda_module(be):
    from tinygrad_cnn.backends import get_backend
    assert get_backend("cuda:0") is be


def test_every_api_name_is_exported(be):
    from tinygrad_cnn.backends.api import KERNEL_NAMES
    missing = [name for name in KERNEL_NAMES if not callable(getattr(be, name, None))]
    assert missing == []


def test_one_line_error_without_a_gpu():
    # A fresh process without the simulator and with no driver library must fail in one line.
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    code = ("import tinygrad_cnn.backends.cuda as be\n"
            "r = be.unavailable_reason()\n"
            "try:\n    be.ensure_available()\nexcept RuntimeError as e:\n    print('ERR', e)\n"
            "else:\n    print('OK')\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    if lines[0] != "OK":  # a GPU machine answers OK
        assert lines[0].startswith("ERR CUDA requested but no usable GPU: ")
        assert "`device=cpu`" in lines[0]  # the CLI shows it as --device cpu
