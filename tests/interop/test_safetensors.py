"""safetensors: bit-identical round trips, damaged files one error line."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("safetensors", reason="pip install -e '.[interop]'")

from tinygrad_cnn.interop import (InteropError, load_safetensors,  # noqa: E402
                                  safetensors_metadata, save_safetensors)
from tinygrad_cnn.models import vgg11_bn  # noqa: E402


def test_round_trip_is_bit_identical(tmp_path):
    model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    state = model.state_dict()
    state["nan"] = np.array([np.nan, -0.0, np.inf], np.float32)
    save_safetensors(state, tmp_path / "m.safetensors", {"k": "v"})
    got = load_safetensors(tmp_path / "m.safetensors")
    assert sorted(got) == sorted(state)
    for name, arr in state.items():
        assert got[name].dtype == arr.dtype and got[name].shape == arr.shape, name
        assert got[name].tobytes() == arr.tobytes(), name
    assert safetensors_metadata(tmp_path / "m.safetensors") == {"k": "v"}


def _saved(tmp_path):
    path = tmp_path / "w.safetensors"
    save_safetensors({"a": np.arange(8, dtype=np.float32), "b": np.ones((2, 2))}, path)
    return path


@pytest.mark.parametrize("keep", [4, 20, -3])
def test_truncated(tmp_path, keep):
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(InteropError, match="w.safetensors") as info:
        load_safetensors(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("offset", [0, 7, 12, 30])
def test_byte_flipped_header(tmp_path, offset):
    """The length field and the JSON header are checked (the data has no checksum)."""
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InteropError, match="w.safetensors"):
        load_safetensors(path)


def test_declared_size_beyond_the_file(tmp_path):
    import json
    header = json.dumps({"w": {"dtype": "F32", "shape": [10 ** 6, 10 ** 6],
                               "data_offsets": [0, 4 * 10 ** 12]}}).encode()
    path = tmp_path / "huge.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 16)
    with pytest.raises(InteropError, match="huge.safetensors"):
        load_safetensors(path)
