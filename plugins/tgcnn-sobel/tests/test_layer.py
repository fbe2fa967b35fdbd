"""``SobelEdges``: exact responses, gradients to the input, no trainable parameters, use in
a model, and its JSON configuration."""
import json
from importlib.metadata import entry_points

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

tgcnn_sobel = pytest.importorskip("tgcnn_sobel", reason="tgcnn-sobel is not installed: "
                                  "pip install -e plugins/tgcnn-sobel")
import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn import nn  # noqa: E402
from tinygrad_cnn.testing import arrays, gradcheck  # noqa: E402
from tgcnn_sobel import DIRECTIONS, SobelEdges, sobel_kernels  # noqa: E402

FAST = settings(max_examples=8, deadline=None)
registered = pytest.mark.skipif(
    not any(ep.name == "SobelEdges" and ep.value.startswith("tgcnn_sobel")
            for ep in entry_points(group="tinygrad_cnn.layers")),
    reason="the SobelEdges entry point is not installed: pip install -e plugins/tgcnn-sobel")


def _reference(x: np.ndarray, directions=DIRECTIONS) -> np.ndarray:
    """Per-channel zero-padded cross-correlation with each kernel, in plain numpy."""
    kernels = sobel_kernels(directions, np.float64)
    n, c, h, w = x.shape
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, c, len(kernels), h, w))
    for d, k in enumerate(kernels):
        for a in range(3):
            for b in range(3):
                out[:, :, d] += k[a, b] * padded[:, :, a:a + h, b:b + w]
    return out.reshape(n, c * len(kernels), h, w)


def _vertical_edge() -> np.ndarray:
    """A 6x6 image, bright left half and dark right half: one vertical edge."""
    x = np.zeros((1, 1, 6, 6), np.float32)
    x[..., :3] = 1.0
    return x


def test_exact_response_to_a_vertical_edge():
    y = SobelEdges(1, ["vertical"])(tg.Tensor(_vertical_edge())).numpy()[0, 0]
    # interior rows: 4 * (left - right neighbour); the border rows see one zero padding row
    # (weight 3); the zero padding left of column 0 reads as a dark-to-bright edge
    row = [-4, 0, 4, 4, 0, 0]
    expected = np.array([[-3, 0, 3, 3, 0, 0]] + [row] * 4 + [[-3, 0, 3, 3, 0, 0]], np.float32)
    np.testing.assert_array_equal(y, expected)


def test_horizontal_kernel_sees_no_vertical_edge_away_from_the_border():
    y = SobelEdges(1)(tg.Tensor(_vertical_edge())).numpy()[0]
    assert y.shape == (4, 6, 6)
    np.testing.assert_array_equal(y[0, 1:5], 0)      # horizontal: only the padded rows
    assert np.abs(y[1]).max() == 4                  # vertical: the strongest response


def test_each_diagonal_kernel_picks_its_own_diagonal():
    x = np.triu(np.ones((7, 7)), 1)                 # an edge along the main diagonal
    centre = (slice(None), slice(2, 5), slice(2, 5))
    y = np.abs(SobelEdges(1)(tg.Tensor(x[None, None])).numpy()[0][centre]).mean(axis=(1, 2))
    strength = dict(zip(DIRECTIONS, y))
    assert strength["diagonal"] == max(y) and strength["antidiagonal"] == 0
    y = np.abs(SobelEdges(1)(tg.Tensor(np.fliplr(x)[None, None].copy())).numpy()[0][centre])
    strength = dict(zip(DIRECTIONS, y.mean(axis=(1, 2))))
    assert strength["antidiagonal"] == max(strength.values()) and strength["diagonal"] == 0


@FAST
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6),
       st.lists(st.sampled_from(DIRECTIONS), min_size=1, max_size=4, unique=True), st.data())
def test_matches_numpy_reference(n, c, h, w, directions, data):
    x = data.draw(arrays((n, c, h, w)))
    y = SobelEdges(c, directions)(tg.Tensor(x, dtype=np.float64))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), _reference(x, directions), rtol=1e-12, atol=1e-12)


def test_float32_input_gives_float32_output():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)
    y = SobelEdges(3)(tg.Tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), _reference(x), rtol=1e-5, atol=1e-5)


def test_magnitude_is_the_root_of_summed_squares():
    x = np.random.default_rng(1).standard_normal((2, 2, 5, 5))
    layer = SobelEdges(2, ["vertical", "horizontal"], magnitude=True)
    y = layer(tg.Tensor(x, dtype=np.float64)).numpy()
    r = _reference(x, ["vertical", "horizontal"]).reshape(2, 2, 2, 5, 5)
    assert layer.out_channels == 2 and y.shape == (2, 2, 5, 5)
    np.testing.assert_allclose(y, np.sqrt((r ** 2).sum(2) + 1e-12), rtol=1e-12)


@FAST
@given(st.integers(1, 2), st.integers(1, 3), st.integers(2, 5), st.integers(2, 5),
       st.booleans(), st.data())
def test_gradient_flows_to_the_input(n, c, h, w, magnitude, data):
    x = data.draw(arrays((n, c, h, w), low=0.5, high=2.0))
    layer = SobelEdges(c, ["vertical", "diagonal"], magnitude=magnitude)
    gradcheck(layer, [x])


def test_has_no_trainable_parameters():
    layer = SobelEdges(3)
    assert layer.num_parameters(trainable_only=False) == 0
    assert list(layer.parameters()) == []
    assert [name for name, _ in layer.named_buffers()] == ["weight"]
    assert not layer.weight.requires_grad
    assert layer.state_dict() == {}              # rebuilt from the configuration instead


def test_moves_with_the_module_and_accepts_float64():
    layer = SobelEdges(1).double()
    assert layer.weight.dtype == np.float64
    assert SobelEdges(1)(tg.zeros(1, 1, 4, 4).double()).dtype == np.float64


def test_trains_inside_a_sequential_without_touching_the_kernels():
    tg.manual_seed(0)
    model = nn.Sequential(SobelEdges(1), nn.Conv2d(4, 2, 3, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(2 * 6 * 6, 2))
    assert model.num_parameters() == (4 * 9 + 1) * 2 + 72 * 2 + 2
    before = model[0].weight.numpy().copy()
    x = tg.Tensor(np.concatenate([_vertical_edge(), _vertical_edge().transpose(0, 1, 3, 2)]))
    loss = tg.nn.functional.cross_entropy(model(x), tg.Tensor([0, 1]))
    loss.backward()
    assert model[0].weight.grad is None
    assert all(p.grad is not None for p in model.parameters())
    np.testing.assert_array_equal(model[0].weight.numpy(), before)


def test_config_round_trip_through_json():
    layer = SobelEdges(2, ("diagonal", "vertical"), magnitude=True)
    config = json.loads(json.dumps(layer.get_config()))
    assert config == {"in_channels": 2, "directions": ["diagonal", "vertical"],
                      "magnitude": True}
    clone = SobelEdges(**config)
    x = tg.randn(1, 2, 5, 5)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())
    assert repr(clone) == repr(layer)


@registered
def test_rebuilt_by_name_through_the_registry():
    from tinygrad_cnn.layers import from_config, get, to_config
    assert get("SobelEdges") is SobelEdges
    model = nn.Sequential(SobelEdges(1, ["horizontal"]), nn.ReLU())
    config = json.loads(json.dumps(to_config(model)))
    assert config["layers"][0] == {"type": "SobelEdges", "args": {
        "in_channels": 1, "directions": ["horizontal"], "magnitude": False}}
    clone = from_config(config)
    x = tg.Tensor(_vertical_edge())
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("args, error, message", [
    ({"in_channels": 0}, ValueError, "in_channels"),
    ({"in_channels": 1.5}, TypeError, "in_channels"),
    ({"in_channels": 1, "directions": ["up"]}, ValueError, "unknown direction"),
    ({"in_channels": 1, "magnitude": "yes"}, TypeError, "magnitude"),
])
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        SobelEdges(**args)


def test_wrong_channel_count_is_reported_by_conv2d():
    with pytest.raises(ValueError, match="channels"):
        SobelEdges(2)(tg.zeros(1, 3, 4, 4))
