"""The scikit-learn digits dataset (optional dependency)."""
import importlib.util
import sys

import numpy as np
import pytest

from tinygrad_cnn.data import digits
from tinygrad_cnn.data.errors import DataError

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="scikit-learn not installed")


@needs_sklearn
def test_shapes_units_and_stratified_holdout():
    s = digits.load_digits(seed=0)
    assert s.input_shape == (1, 8, 8) and s.classes == [str(i) for i in range(10)] and not s.hflip_ok
    assert len(s.train) + len(s.test) == 1797 and s.train.x.dtype == np.uint8
    assert s.train.x.max() == 255 and s.pixel_max == 255.0
    counts = np.bincount(s.test.y, minlength=10)
    assert counts.min() >= 25 and counts.max() <= 29
    again = digits.load_digits(seed=0)
    assert np.array_equal(again.test.x, s.test.x)
    assert not np.array_equal(digits.load_digits(seed=1).test.y, s.test.y)


# The first image (a zero) and the class counts of the UCI data as scikit-learn documents them.
FIRST = [[0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0], [0, 3, 15, 2, 0, 11, 8, 0],
         [0, 4, 12, 0, 0, 8, 8, 0], [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0],
         [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0]]
COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@needs_sklearn
def test_matches_the_uci_data():
    x, y = digits.digits_arrays()
    assert np.bincount(y).tolist() == COUNTS and y[:10].tolist() == list(range(10))
    np.testing.assert_array_equal(x[0, 0], np.rint(np.array(FIRST) * 255 / 16).astype(np.uint8))


def test_falls_back_to_load_digits(monkeypatch, tmp_path):
    # Without the data file inside the package, sklearn.datasets.load_digits is used.
    import types

    fake = types.ModuleType("sklearn.datasets")
    fake.load_digits = lambda: types.SimpleNamespace(data=np.tile(np.array(FIRST, float).ravel(), (20, 1)),
                                                     target=np.arange(20) % 10)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", fake)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: types.SimpleNamespace(submodule_search_locations=[str(tmp_path)]))
    digits._raw_digits.cache_clear()
    try:
        x, y = digits.digits_arrays()
    finally:
        monkeypatch.undo()
        digits._raw_digits.cache_clear()
    assert x.shape == (20, 1, 8, 8) and x[5, 0, 0, 3] == 207 and y.tolist() == list(range(10)) * 2


def test_missing_scikit_learn_is_a_clear_error(monkeypatch):
    digits._raw_digits.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes find_spec raise, like an absent package
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    try:
        with pytest.raises(DataError, match="needs scikit-learn.*pip install scikit-learn"):
            digits.load_digits()
    finally:
        monkeypatch.undo()
        digits._raw_digits.cache_clear()
