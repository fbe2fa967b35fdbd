"""Activation maps through forward hooks, ranking, layer lookup, filters, PNG grids."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.training import (ModelLayerError, activation_maps, conv_filters, filter_tiles,
                                   find_layer_name, first_conv, grid_image, save_grid)


@pytest.fixture
def model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(6 * 4 * 4, 2))


def test_activation_maps_equal_the_layer_output_and_are_ranked(model):
    image = np.random.default_rng(0).standard_normal((3, 8, 8)).astype(np.float32)
    maps = activation_maps(model, image, "1")
    with tg.no_grad():
        expected = model[1](model[0](tg.Tensor(image[None]))).numpy()[0]
    np.testing.assert_array_equal(maps.maps, expected)
    means = expected.reshape(6, -1).mean(1)
    assert list(maps.order) == list(np.argsort(-means, kind="stable"))
    ranked = maps.ranked(3)
    assert ranked.shape == (3, 8, 8)
    assert ranked[0].mean() >= ranked[1].mean() >= ranked[2].mean()
    assert model.training  # mode restored


def test_flat_layer_gives_one_by_one_maps(model):
    maps = activation_maps(model, np.zeros((3, 8, 8), np.float32), "4")
    assert maps.maps.shape == (2, 1, 1)


def test_unknown_layer_suggests_names(model):
    with pytest.raises(ModelLayerError, match="did you mean 1") as info:
        activation_maps(model, np.zeros((3, 8, 8), np.float32), "11")
    assert "\n" not in str(info.value)
    with pytest.raises(ModelLayerError, match="choose one of"):
        find_layer_name(model, "features.zzz")
    assert find_layer_name(model, None) == "0"


def test_filters_of_the_first_conv(model):
    name, w = conv_filters(model)
    assert name == "0" and w.shape == (6, 3, 3, 3)
    np.testing.assert_array_equal(w, model[0].weight.numpy())
    assert filter_tiles(w).shape == (6, 3, 3, 3)  # RGB tiles
    assert filter_tiles(np.zeros((4, 2, 3, 3))).shape == (8, 3, 3)  # one grey tile per kernel
    with pytest.raises(ModelLayerError):
        first_conv(nn.Sequential(nn.ReLU()))
    with pytest.raises(ModelLayerError, match="not a Conv2d"):
        conv_filters(model, "1")


def test_grid_layout_and_per_tile_scaling(tmp_path):
    tiles = np.stack([np.full((2, 2), 5.0), np.array([[0.0, 1.0], [2.0, 3.0]]),
                      np.array([[10.0, 0.0], [0.0, 0.0]])])
    img = grid_image(tiles, ncols=2, tile_px=2, gap=1)
    assert img.size == (2 * 2 + 3, 2 * 2 + 3) and img.mode == "L"
    a = np.asarray(img)
    assert (a[1:3, 1:3] == 128).all()          # a constant tile is mid grey
    assert a[1, 4] == 0 and a[2, 5] == 255      # each tile stretched to its own range
    assert a[4, 1] == 255 and (a[0] == 255).all()  # gaps are white
    path = save_grid(np.random.rand(5, 3, 4, 4), tmp_path / "g.png", tile_px=8)
    with Image.open(path) as im:
        assert im.mode == "RGB" and im.size == (3 * 8 + 4 * 2, 2 * 8 + 3 * 2)
    with pytest.raises(ValueError):
        grid_image(np.zeros((2, 5, 4, 4)))


def test_grid_labels_and_title_are_drawn():
    from tinygrad_cnn.training.plots import grid_image

    tiles = np.random.default_rng(0).random((4, 8, 8))
    plain = np.asarray(grid_image(tiles, ncols=2, tile_px=32, gap=2))
    named = np.asarray(grid_image(tiles, ncols=2, tile_px=32, gap=2, labels=["#0 1", "#1 2",
                                                                             "#2 3", "#3 4"],
                                  title="layer x on a.png\nsecond line"))
    assert plain.shape == (2 + 2 * 34, 2 + 2 * 34)
    assert named.shape[0] == 38 + 2 + 2 * (32 + 14 + 2) and named.shape[1] >= plain.shape[1]
    assert (named[:38] < 128).any()            # title text
    assert (named[38 + 2 + 32:38 + 2 + 32 + 14] < 128).any()  # labels under the first row
    with pytest.raises(ValueError, match="3 labels for 4 tiles"):
        grid_image(tiles, labels=["a", "b", "c"])
