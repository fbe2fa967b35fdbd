"""Every CUDA kernel compiles to PTX for sm_80, and float32 kernels do no float64 math.

``cuda.compile_ptx`` needs the NVVM/NVRTC libraries (``numba-cuda[cu13]``) but no GPU, and
must run with the simulator off, so the check runs in a child process; it skips when the
toolkit libraries are not installed.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("_ptx_check.py")
ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_every_kernel_compiles_to_ptx_without_float64_in_float32_kernels():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if "skip" in report:
        pytest.skip(report["skip"])
    assert report["errors"] == []
    assert report["f64"] == []
    assert report["compiled"] >= report["kernels"]
