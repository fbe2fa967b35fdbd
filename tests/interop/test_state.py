"""Loading foreign state dicts into models: strict, one message, nothing changed on failure."""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_cnn import nn
from tinygrad_cnn.interop import InteropError, load_into, unwrap_state_dict


def _model():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))


def test_every_problem_in_one_message_and_nothing_loaded():
    model = _model()
    before = model.state_dict()
    state = dict(before)
    state.pop("3.bias")
    state["extra.weight"] = np.zeros(1, np.float32)
    state["0.weight"] = np.zeros((2, 1, 5, 5), np.float32)
    with pytest.raises(InteropError) as info:
        load_into(model, state, "w.pt")
    text = str(info.value)
    assert "missing 3.bias" in text and "unexpected extra.weight" in text
    assert "0.weight (2, 1, 5, 5) vs (2, 1, 3, 3)" in text and "\n" not in text
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_old_files_without_num_batches_tracked_and_float64_are_accepted():
    model = _model()
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    state["0.weight"] = np.full((2, 1, 3, 3), 0.5)
    load_into(model, state)
    assert model.state_dict()["0.weight"].dtype == np.float32
    assert float(model.state_dict()["0.weight"][0, 0, 0, 0]) == 0.5


def test_integer_arrays_for_float_parameters_are_refused():
    model = _model()
    state = model.state_dict()
    state["3.weight"] = state["3.weight"].astype(np.int32)
    with pytest.raises(InteropError, match="dtype"):
        load_into(model, state)


def test_unwrap_refuses_what_is_no_state_dict():
    with pytest.raises(InteropError, match="not a state dict"):
        unwrap_state_dict({"epoch": 3, "state_dict": {"w": [1, 2]}}, "ckpt.pt")
