"""Filters and activations labs on a tiny, briefly trained model."""
import numpy as np
import pytest

from tinygrad_cnn import nn
from tinygrad_cnn.labs import activations, filters, shapes_model
from tinygrad_cnn.labs.common import forward
from tinygrad_cnn.training import OptionError

TINY = dict(epochs=1, n_train=60)


def test_edge_probes_find_the_orientation_of_a_known_filter():
    conv = nn.Conv2d(3, 2, 3, bias=False)
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
    conv.weight.data[...] = np.stack([np.stack([sobel] * 3), np.stack([sobel.T] * 3)])
    probes = np.stack([filters.edge_image(a) for a in filters.ORIENTATIONS])
    best = forward(conv, probes).max(axis=(2, 3))  # (orientations, filters)
    assert filters.ORIENTATIONS[int(best[:, 0].argmax())] == 90   # vertical edge, bright left
    assert filters.ORIENTATIONS[int(best[:, 1].argmax())] == 0    # horizontal edge, bright top


def test_filters_lab_is_deterministic_and_reports_every_filter(tmp_path):
    a = filters.run(tmp_path / "a", seed=1, **TINY)
    b = filters.run(tmp_path / "b", seed=1, **TINY)
    assert a.data["weights"].shape == (shapes_model.FIRST_FILTERS, 3, 5, 5)
    np.testing.assert_array_equal(a.data["weights"], b.data["weights"])
    assert a.tables[0].rows == b.tables[0].rows
    assert len(a.tables[0].rows) == shapes_model.FIRST_FILTERS
    assert (tmp_path / "a" / "filters.png").is_file()


def test_activations_lab_ranks_maps_and_compares_classes(tmp_path):
    r = activations.run(tmp_path, seed=0, index=2, **TINY)
    rows = r.tables[0].rows
    assert [row[1] for row in rows] == ["8x16x16", "16x8x8", "32x8x8"]
    assert all(0.0 <= row[3] <= 1.0 for row in rows)
    assert -1.0 <= r.data["across"] <= 1.0 and -1.0 <= r.data["within"] <= 1.0
    more = r.data["within"] > r.data["across"]
    assert ("give more similar" in r.findings[2]) == more
    with pytest.raises(OptionError, match="index"):
        activations.run(tmp_path, index=10_000, **TINY)
