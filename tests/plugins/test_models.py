"""The example plugins inside a model: trained a few steps, described as configuration and
rebuilt, saved in a checkpoint and loaded, summarised."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.layers import from_config, to_config
from tinygrad_cnn.nn import functional as F


def _model(sobel, squeeze_excite) -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(
        sobel.SobelEdges(1, ["vertical", "horizontal"]),       # 1 -> 2 channels, fixed
        nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(),
        squeeze_excite.SqueezeExcite(8, reduction=4),           # own Numba ops
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 2))


def _edges(n: int, seed: int) -> tuple[tg.Tensor, tg.Tensor]:
    """8x8 images of one vertical (class 0) or horizontal (class 1) step edge plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.normal(0, 0.1, (n, 1, 8, 8)).astype(np.float32)
    for i, (label, at) in enumerate(zip(labels, rng.integers(2, 6, n))):
        if label == 0:
            images[i, 0, :, :at] += 1
        else:
            images[i, 0, :at, :] += 1
    return tg.Tensor(images), tg.Tensor(labels)


def test_trains_and_the_loss_falls(sobel, squeeze_excite):
    from tinygrad_cnn.optim import SGD
    model = _model(sobel, squeeze_excite)
    x, y = _edges(16, seed=0)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0], losses
    assert model[0].weight.grad is None                   # the Sobel kernels never train
    assert model.num_parameters() == (2 * 9 + 1) * 8 + (8 * 2 + 2 + 2 * 8 + 8) + 128 * 2 + 2


def test_configuration_round_trip_gives_the_same_logits(sobel, squeeze_excite):
    model = _model(sobel, squeeze_excite).eval()
    config = json.loads(json.dumps(to_config(model)))
    assert [layer["type"] for layer in config["layers"]] == [
        "SobelEdges", "Conv2d", "ReLU", "SqueezeExcite", "MaxPool2d", "Flatten", "Linear"]
    clone = from_config(config).eval()
    assert to_config(clone) == config
    clone.load_state_dict(model.state_dict())
    x, _ = _edges(4, seed=1)
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


def test_model_file_may_name_plugin_layers(sobel, squeeze_excite, tmp_path):
    from tinygrad_cnn.models import from_file
    path = tmp_path / "edges.json"
    path.write_text(json.dumps([
        {"type": "SobelEdges", "args": {"in_channels": 3, "magnitude": True}},
        {"type": "Conv2d", "args": {"in_channels": 3, "out_channels": 4, "kernel_size": 1}},
        {"type": "SqueezeExcite", "args": {"channels": 4, "reduction": 2}}]))
    model = from_file(path)
    assert isinstance(model[0], sobel.SobelEdges) and model[0].magnitude
    assert isinstance(model[2], squeeze_excite.SqueezeExcite)
    assert model(tg.randn(2, 3, 5, 5)).shape == (2, 4, 5, 5)


def test_checkpoint_round_trip_gives_the_same_logits(sobel, squeeze_excite, tmp_path):
    checkpoint = pytest.importorskip("tinygrad_cnn.checkpoint")
    from tinygrad_cnn.optim import SGD
    model = _model(sobel, squeeze_excite)
    x, y = _edges(8, seed=2)
    opt = SGD(model.parameters(), lr=0.05)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    path = checkpoint.save_checkpoint(tmp_path / "edges.h5", model, optimizer=opt,
                                      metadata={"epoch": 1})
    loaded = checkpoint.load_checkpoint(path)
    assert loaded.plugins["SobelEdges"]["distribution"] == "tgcnn-sobel"
    assert loaded.plugins["SqueezeExcite"]["distribution"] == "tgcnn-squeeze-excite"
    assert loaded.plugins["SqueezeExcite"]["version"] == squeeze_excite.__version__
    model.eval()
    np.testing.assert_array_equal(loaded.model.eval()(x).numpy(), model(x).numpy())


def test_summary_counts_no_sobel_parameters(sobel, squeeze_excite):
    model = _model(sobel, squeeze_excite)
    result = tg.summary(model, (1, 8, 8), verbose=False)
    assert result.total_params == model.num_parameters()
    first = result.rows[0]
    assert first.type == "SobelEdges" and first.params == 0 and first.output_shape == (2, 8, 8)
