"""Dataset containers, label checks, stratified splits and normalisation statistics."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.data.dataset import (Dataset, channel_stats, check_labels, holdout, make_splits,
                                       pixel_max_of, stratified_split, train_val_split)
from tinygrad_cnn.data.errors import DataError


def _ds(n=10, k=2, c=1, dtype=np.uint8):
    return Dataset(np.arange(n * c * 4, dtype=dtype).reshape(n, c, 2, 2) % 255, np.arange(n) % k,
                   [f"c{i}" for i in range(k)])


def test_dataset_normalises_types():
    d = Dataset(np.zeros((3, 1, 2, 2), np.float64), [0, 1, 0], [0, 1])
    assert d.x.dtype == np.float32 and d.y.dtype == np.int64 and d.classes == ["0", "1"]
    assert len(d) == 3 and d.subset(np.array([2])).y.tolist() == [0]


def test_dataset_rejects_bad_shapes():
    with pytest.raises(DataError, match=r"\(N, C, H, W\)"):
        Dataset(np.zeros((3, 2, 2), np.uint8), np.zeros(3), ["a"])
    with pytest.raises(DataError, match="3 images but labels"):
        Dataset(np.zeros((3, 1, 2, 2), np.uint8), np.zeros(4), ["a"])


@pytest.mark.parametrize("labels, match", [
    (np.array([0, -1]), "negative"),
    (np.array([0.0, 1.5]), "integers"),
    (np.array([0.0, np.nan]), "integers"),
    (np.array([0, 3]), "out of range for 3 classes"),
    (np.array(["a", "b"]), "dtype"),
    (np.eye(3), "1-D"),
])
def test_check_labels_rejects(labels, match):
    with pytest.raises(DataError, match=match):
        check_labels(labels, "y", 3)


def test_check_labels_accepts_integral_floats_and_columns():
    assert check_labels(np.array([2.0, 0.0]), "y", 3).tolist() == [2, 0]
    assert check_labels(np.array([[1], [0]], np.uint8), "y", 2).dtype == np.int64


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=6), fraction=st.floats(0.05, 0.9),
       seed=st.integers(0, 2**31))
def test_stratified_split_properties(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    keep, out = stratified_split(y, fraction, seed)
    assert np.array_equal(np.sort(np.concatenate([keep, out])), np.arange(len(y)))
    for c, n in enumerate(counts):
        k = int(np.sum(y[out] == c))
        assert np.sum(y[keep] == c) >= 1
        assert abs(k - fraction * n) <= 1 or (n >= 2 and k == 1)
    keep2, out2 = stratified_split(y, fraction, seed)
    assert np.array_equal(out, out2)


def test_stratified_split_seed_matters_and_zero_fraction():
    y = np.arange(200) % 4
    assert not np.array_equal(stratified_split(y, 0.2, 0)[1], stratified_split(y, 0.2, 1)[1])
    keep, out = stratified_split(y, 0.0, 0)
    assert len(out) == 0 and len(keep) == 200
    with pytest.raises(DataError, match=r"\[0, 1\)"):
        stratified_split(y, 1.0, 0)


def test_train_val_split_is_consistent():
    x = np.arange(50).reshape(50, 1, 1, 1)
    y = np.arange(50) % 5
    xt, yt, xv, yv = train_val_split(x, y, 0.2, seed=3)
    assert len(xv) == 10 and np.array_equal(np.bincount(yv), [2] * 5)
    assert np.array_equal(xt[:, 0, 0, 0] % 5, yt) and np.array_equal(xv[:, 0, 0, 0] % 5, yv)
    assert not set(xt.ravel()) & set(xv.ravel())


def test_holdout_rejects_bad_fraction():
    with pytest.raises(DataError, match="test_fraction"):
        holdout(_ds(), 0.0, 0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), c=st.integers(1, 3), seed=st.integers(0, 1000))
def test_channel_stats_match_numpy(n, c, seed):
    x = np.random.default_rng(seed).integers(0, 256, (n, c, 3, 5)).astype(np.uint8)
    mean, std = channel_stats(x, chunk=7)
    ref_std = x.astype(np.float64).std(axis=(0, 2, 3))
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(std, np.where(ref_std > 1e-6 * 255, ref_std, 1.0), rtol=1e-6, atol=1e-6)


def test_channel_stats_constant_channel_has_unit_std():
    assert channel_stats(np.full((4, 2, 3, 3), 7, np.uint8)) == ((7.0, 7.0), (1.0, 1.0))


def test_make_splits_metadata_and_checks():
    s = make_splits("toy", _ds(c=3), _ds(n=4, c=3), hflip_ok=True, notes=["n"])
    assert s.input_shape == (3, 2, 2) and s.num_classes == 2 and s.hflip_ok and s.notes == ["n"]
    assert s.pixel_max == 255.0 and len(s.mean) == 3 and s.name == "toy"
    assert s.info.input_shape == [3, 2, 2] and s.info.dataset == "toy"  # the one data record
    with pytest.raises(DataError, match="make both splits the same size"):
        make_splits("toy", _ds(c=3), _ds(c=1))
    with pytest.raises(DataError, match="training split is empty"):
        make_splits("toy", _ds(n=0), _ds())
    bad = Dataset(np.zeros((2, 1, 2, 2), np.uint8), np.array([0, 5]), ["a", "b", "c", "d", "e", "f"])
    with pytest.raises(DataError, match=r"toy \(test\): label 5 is out of range for 2 classes"):
        make_splits("toy", _ds(), Dataset(bad.x, bad.y, ["a", "b"]))


def test_make_splits_mixed_dtypes_become_float():
    f = Dataset(np.zeros((2, 1, 2, 2), np.float32), np.array([0, 1]), ["a", "b"])
    s = make_splits("toy", _ds(), f)
    assert s.train.x.dtype == s.test.x.dtype == np.float32


def test_pixel_max():
    assert pixel_max_of(np.zeros(3, np.uint8)) == 255.0
    assert pixel_max_of(np.array([0.5], np.float32)) == 1.0
    assert pixel_max_of(np.array([3.0], np.float32)) == 255.0


def test_data_info_is_the_one_record_of_data_and_training():
    from tinygrad_cnn.data import DataInfo
    from tinygrad_cnn.training import DataInfo as TrainingDataInfo

    assert TrainingDataInfo is DataInfo
    s = make_splits("toy", _ds(c=3), _ds(n=4, c=3), notes=["n"])
    assert isinstance(s.info, DataInfo)
    assert DataInfo.from_metadata(s.info.to_metadata()) == s.info
    assert (s.name, s.classes, s.mean, s.std) == (s.info.dataset, s.info.classes,
                                                  tuple(s.info.mean), tuple(s.info.std))
    assert not hasattr(s, "preprocessing")
