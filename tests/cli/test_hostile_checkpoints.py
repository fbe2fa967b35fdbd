"""``tgcnn eval``/``predict``/``summary`` on damaged checkpoints: one line, exit 1, never a
traceback (the per-mutant fuzzing is tests/checkpoint/test_fuzz.py)."""
from __future__ import annotations

import pytest

from .helpers import one_error_line


@pytest.mark.parametrize("fraction", [0.003, 0.3, 0.7, 0.999])
@pytest.mark.parametrize("value", [125, 255])
def test_one_flipped_byte(invoke, trained, tmp_path, fraction, value):
    raw = bytearray(trained.read_bytes())
    at = int(len(raw) * fraction)
    if raw[at] == value:
        value ^= 1
    raw[at] = value
    path = tmp_path / "flipped.h5"
    path.write_bytes(bytes(raw))
    for command in (["eval", "--limit", "40"], ["summary"]):
        result = invoke(*command, path)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        if result.exit_code == 0:  # a byte HDF5 does not use: the same model, the same output
            assert result.stdout == invoke(*command, trained).stdout.replace(
                str(trained), str(path))
            continue
        assert result.exit_code == 1, (command, result.output)
        assert one_error_line(result.stderr).startswith("Error: ")


def test_nan_weights_refused_unless_allowed(invoke, trained, tmp_path):
    import h5py
    import numpy as np

    from tinygrad_cnn.checkpoint import reseal

    path = tmp_path / "nan.h5"
    path.write_bytes(trained.read_bytes())
    with h5py.File(path, "r+") as f:
        name = next(k for k in f["parameters"] if k.endswith("weight"))
        f["parameters"][name][...] = np.nan
        reseal(f)
    refused = invoke("eval", path, "--limit", "20")
    assert refused.exit_code == 1
    assert "holds NaN or Inf values" in one_error_line(refused.stderr)
    allowed = invoke("eval", path, "--limit", "20", "--allow-nonfinite")
    assert allowed.exit_code == 0, allowed.output
