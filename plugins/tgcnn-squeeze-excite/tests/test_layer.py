"""``SqueezeExcite``: forward against a numpy reference, float64 gradient checks of the
whole block, parameters, use in a model and its JSON configuration."""
import json
from importlib.metadata import entry_points

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("tgcnn_squeeze_excite", reason="tgcnn-squeeze-excite is not installed: "
                    "pip install -e plugins/tgcnn-squeeze-excite")
import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn import nn  # noqa: E402
from tinygrad_cnn.testing import arrays, gradcheck  # noqa: E402
from tgcnn_squeeze_excite import SqueezeExcite, squeeze_excite  # noqa: E402

FAST = settings(max_examples=8, deadline=None)
registered = pytest.mark.skipif(
    not any(ep.name == "SqueezeExcite" and ep.value.startswith("tgcnn_squeeze_excite")
            for ep in entry_points(group="tinygrad_cnn.layers")),
    reason="the SqueezeExcite entry point is not installed: "
           "pip install -e plugins/tgcnn-squeeze-excite")


def _reference(x: np.ndarray, layer: SqueezeExcite) -> np.ndarray:
    """The block in plain float64 numpy."""
    w1, b1 = layer.fc1.weight.numpy().astype(float), layer.fc1.bias.numpy().astype(float)
    w2, b2 = layer.fc2.weight.numpy().astype(float), layer.fc2.bias.numpy().astype(float)
    hidden = np.maximum(x.mean(axis=(2, 3)) @ w1.T + b1, 0)
    scales = 1 / (1 + np.exp(-(hidden @ w2.T + b2)))
    return x * scales[:, :, None, None]


@FAST
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(1, 5),
       st.integers(1, 5), st.data())
def test_forward_matches_numpy(n, channels, reduction, h, w, data):
    tg.manual_seed(data.draw(st.integers(0, 100)))
    layer = SqueezeExcite(channels, reduction)
    x = data.draw(arrays((n, channels, h, w), np.float32))
    y = layer(tg.Tensor(x))
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), _reference(x.astype(float), layer), rtol=1e-5,
                               atol=1e-6)


@FAST
@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.data())
def test_block_gradient_for_input_and_weights(n, channels, hidden, h, w, data):
    inputs = [data.draw(arrays(shape)) for shape in
              [(n, channels, h, w), (hidden, channels), (hidden,), (channels, hidden),
               (channels,)]]
    x, w1, b1 = inputs[:3]
    # ReLU has no derivative at 0: keep its inputs away from the kink (as max ties are
    # avoided for max-pool)
    assume(np.all(np.abs(x.mean(axis=(2, 3)) @ w1.T + b1) > 1e-3))
    gradcheck(squeeze_excite, inputs)


def test_layer_gradient_in_float64():
    tg.manual_seed(3)
    layer = SqueezeExcite(6, reduction=2).double()
    x = np.random.default_rng(3).standard_normal((2, 6, 3, 4))
    gradcheck(layer, [x])


def test_parameters_follow_the_reduction():
    layer = SqueezeExcite(16, reduction=4)
    shapes = {name: p.shape for name, p in layer.named_parameters()}
    assert shapes == {"fc1.weight": (4, 16), "fc1.bias": (4,), "fc2.weight": (16, 4),
                      "fc2.bias": (16,)}
    assert layer.num_parameters() == 148
    assert SqueezeExcite(3, reduction=8).hidden == 1      # never narrower than one unit


def test_scales_every_channel_by_a_weight_in_zero_one():
    layer = SqueezeExcite(4, 2)
    x = np.abs(np.random.default_rng(0).standard_normal((3, 4, 5, 5))).astype(np.float32) + 0.1
    ratio = layer(tg.Tensor(x)).numpy() / x
    assert np.all((ratio > 0) & (ratio < 1))
    # one weight per (sample, channel): constant over each plane
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :, :1, :1], ratio.shape),
                               rtol=1e-5)


def test_trains_inside_a_sequential():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), SqueezeExcite(4, 2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    x = tg.randn(3, 1, 6, 6)
    loss = tg.nn.functional.cross_entropy(model(x), tg.Tensor([0, 1, 1]))
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert set(grads) >= {"2.fc1.weight", "2.fc2.bias", "0.weight"}
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads.values())
    assert np.abs(grads["0.weight"].numpy()).sum() > 0     # gradient went through the block


def test_config_and_state_dict_rebuild_the_layer():
    tg.manual_seed(1)
    layer = SqueezeExcite(8, reduction=2)
    config = json.loads(json.dumps(layer.get_config()))
    assert config == {"channels": 8, "reduction": 2}
    clone = SqueezeExcite(**config)
    clone.load_state_dict(layer.state_dict())
    x = tg.randn(2, 8, 3, 3)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())
    assert repr(clone) == repr(layer)


@registered
def test_rebuilt_by_name_through_the_registry():
    from tinygrad_cnn.layers import from_config, get, to_config
    assert get("SqueezeExcite") is SqueezeExcite
    model = nn.Sequential(nn.Conv2d(2, 4, 1), SqueezeExcite(4))
    config = json.loads(json.dumps(to_config(model)))
    assert config["layers"][1] == {"type": "SqueezeExcite",
                                   "args": {"channels": 4, "reduction": 4}}
    clone = from_config(config)
    clone.load_state_dict(model.state_dict())
    x = tg.randn(1, 2, 3, 3)
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("args, error, message", [
    ({"channels": 0}, ValueError, "channels"),
    ({"channels": 4, "reduction": 0}, ValueError, "reduction"),
    ({"channels": 4.0}, TypeError, "channels"),
])
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        SqueezeExcite(**args)


def test_wrong_channel_count_is_named():
    with pytest.raises(ValueError, match="expected 4 channels"):
        SqueezeExcite(4)(tg.randn(1, 3, 2, 2))
