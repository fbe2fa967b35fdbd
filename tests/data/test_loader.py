"""DataLoader: batching, shuffling, normalisation, augmentation, exact resume, and speed."""
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.loader import DataLoader, default_pad, random_crop, random_hflip


def _data(n=50, c=3, h=8, w=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, c, h, w)).astype(np.uint8), np.arange(n) % 5


def _epoch(dl):
    return [(xb.copy(), yb.copy()) for xb, yb in dl]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), bs=st.integers(1, 12), shuffle=st.booleans(), drop=st.booleans())
def test_each_example_once_per_epoch(n, bs, shuffle, drop):
    x = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1)
    dl = DataLoader(x, np.arange(n), batch_size=bs, shuffle=shuffle, drop_last=drop)
    for _ in range(2):
        batches = _epoch(dl)
        assert len(batches) == len(dl)
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.zeros(0, int)
        assert all(np.array_equal(xb[:, 0, 0, 0], yb) for xb, yb in batches)
        if drop:
            assert len(seen) == (n // bs) * bs and len(set(seen.tolist())) == len(seen)
        else:
            assert sorted(seen.tolist()) == list(range(n))
        if not shuffle and not drop:
            assert seen.tolist() == list(range(n))
    assert dl.epoch == 2


def test_shuffle_is_seeded_and_changes_per_epoch():
    x, y = _data()
    order = lambda dl: np.concatenate([yb for _, yb in dl])  # noqa: E731
    idx = np.arange(50)
    a = DataLoader(x, idx, 8, seed=1)
    b = DataLoader(x, idx, 8, seed=1)
    c = DataLoader(x, idx, 8, seed=2)
    ea, eb, ec = order(a), order(b), order(c)
    assert np.array_equal(ea, eb) and not np.array_equal(ea, ec)
    assert not np.array_equal(order(a), ea)


def test_normalisation():
    x, y = _data()
    mean, std = [10.0, 20.0, 30.0], [2.0, 4.0, 8.0]
    dl = DataLoader(x, y, 50, shuffle=False, normalise=(mean, std))
    xb, yb = next(iter(dl))
    ref = (x.astype(np.float64) - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_allclose(xb, ref, rtol=1e-5, atol=1e-5)
    plain = next(iter(DataLoader(x, y, 50, shuffle=False)))[0]
    assert plain.dtype == np.float32 and np.array_equal(plain, x.astype(np.float32))


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "positive integer"), (dict(batch_size=2.5), "positive integer"),
    (dict(normalise=([1.0], [1.0])), "3 finite means"), (dict(normalise=([0, 0, 0], [1, 0, 1])), "positive stds"),
    (dict(pad=-1), "padding"),
])
def test_bad_arguments(kwargs, match):
    x, y = _data()
    with pytest.raises(DataError, match=match):
        DataLoader(x, y, **kwargs)


def test_bad_arrays():
    with pytest.raises(DataError, match=r"\(N, C, H, W\)"):
        DataLoader(np.zeros((4, 4)), np.zeros(4))
    with pytest.raises(DataError, match="4 images"):
        DataLoader(np.zeros((4, 1, 2, 2)), np.zeros(3))


def test_default_pad():
    assert [default_pad(s, s) for s in (8, 28, 32, 64)] == [1, 4, 4, 8]


@settings(max_examples=20, deadline=None)
@given(pad=st.integers(1, 4), seed=st.integers(0, 1000))
def test_random_crop_is_a_shifted_window(pad, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((6, 2, 7, 9)).astype(np.float32) + 1  # no zeros in the image itself
    out = random_crop(x, pad, np.random.default_rng(seed))
    assert out.shape == x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for i in range(6):
        matches = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)
                   if np.array_equal(out[i], padded[i, :, dy:dy + 7, dx:dx + 9])]
        assert matches


def test_crop_offsets_cover_all_positions_evenly():
    n, pad = 5000, 2
    out = random_crop(np.ones((n, 1, 4, 4), np.float32), pad, np.random.default_rng(0))[:, 0]
    # Recover each window's offset from the zero (padding) rows and columns it shows.
    rows, cols = out.any(axis=2), out.any(axis=1)
    oy = pad - (~rows[:, :pad]).sum(axis=1) + (~rows[:, -pad:]).sum(axis=1)
    ox = pad - (~cols[:, :pad]).sum(axis=1) + (~cols[:, -pad:]).sum(axis=1)
    counts = np.bincount(oy * 5 + ox, minlength=25)
    assert counts.size == 25 and counts.min() > 0.7 * n / 25 and counts.max() < 1.3 * n / 25


def test_flip_probability_and_content():
    x = np.arange(2000 * 3, dtype=np.float32).reshape(2000, 1, 1, 3)
    out = random_hflip(x.copy(), np.random.default_rng(0))
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3)))
    assert 0.45 < flipped.mean() < 0.55


def test_loader_flip_only_when_asked():
    x, y = _data(n=64, h=6, w=6)
    never = DataLoader(x, y, 64, shuffle=False, augment=True, flip=False, pad=0)
    assert np.array_equal(next(iter(never))[0], x.astype(np.float32))
    some = DataLoader(x, y, 64, shuffle=False, augment=True, flip=True, pad=0)
    xb = next(iter(some))[0]
    flipped = np.all(xb == x[..., ::-1], axis=(1, 2, 3))
    assert 10 < flipped.sum() < 54 and np.all(flipped | np.all(xb == x, axis=(1, 2, 3)))


def test_augmentation_statistics_keep_normalisation():
    x, y = _data(n=512, h=32, w=32)
    x = (x // 2 + 64).astype(np.uint8)
    mean, std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    dl = DataLoader(x, y, 128, augment=True, flip=True, normalise=(mean, std), seed=0)
    xb = np.concatenate([b for b, _ in dl])
    assert xb.shape == (512, 3, 32, 32)
    # Zero (= mean) padding shrinks the spread a little but keeps the mean at 0.
    assert abs(xb.mean()) < 0.05 and 0.75 < xb.std() < 1.0


def test_augmented_epochs_are_deterministic_and_differ():
    x, y = _data()
    a = _epoch(DataLoader(x, y, 8, augment=True, flip=True, seed=4))
    b = _epoch(DataLoader(x, y, 8, augment=True, flip=True, seed=4))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))
    dl = DataLoader(x, y, 50, shuffle=False, augment=True, seed=4)
    assert not np.array_equal(_epoch(dl)[0][0], _epoch(dl)[0][0])


@pytest.mark.parametrize("stop_epoch, stop_batch", [(0, 0), (0, 3), (1, 2), (1, 7)])
def test_resume_matches_uninterrupted(stop_epoch, stop_batch):
    x, y = _data()
    kw = dict(batch_size=7, augment=True, flip=True, seed=11, normalise=([1, 2, 3], [4, 5, 6]))
    full = [_epoch(dl) for dl in [DataLoader(x, y, **kw)] for _ in range(3)]
    flat_full = [b for ep in full for b in ep]

    dl = DataLoader(x, y, **kw)
    got = []
    for _ in range(stop_epoch):
        got += _epoch(dl)
    it = iter(dl)
    for _ in range(stop_batch):
        got.append(tuple(a.copy() for a in next(it)))
    state = json.loads(json.dumps(dl.state_dict()))  # must survive JSON (checkpoint metadata)
    assert state["position"] == stop_batch and state["epoch"] == stop_epoch

    resumed = DataLoader(x, y, **{**kw, "seed": 999})
    resumed.load_state_dict(state)
    while resumed.epoch < 3:
        got += _epoch(resumed)
    assert len(got) == len(flat_full)
    for (xa, ya), (xb, yb) in zip(got, flat_full):
        assert np.array_equal(ya, yb) and np.array_equal(xa, xb)


def test_breaking_out_continues_the_epoch():
    x, y = _data()
    ref = np.concatenate([yb for _, yb in DataLoader(x, y, 10, seed=3)])
    dl = DataLoader(x, y, 10, seed=3)
    first = []
    for i, (_, yb) in enumerate(dl):
        first.append(yb)
        if i == 1:
            break
    rest = [yb for _, yb in dl]
    assert np.array_equal(np.concatenate(first + rest), ref) and dl.epoch == 1


def test_load_state_mismatch_and_corrupt():
    x, y = _data()
    state = DataLoader(x, y, 10).state_dict()
    with pytest.raises(DataError, match="resume with the same data"):
        DataLoader(x[:40], y[:40], 10).load_state_dict(state)
    with pytest.raises(DataError, match="resume with the same data"):
        DataLoader(x, y, 5).load_state_dict(state)
    with pytest.raises(DataError, match="malformed"):
        DataLoader(x, y, 10).load_state_dict({"epoch": 1})
    with pytest.raises(DataError, match="outside"):
        DataLoader(x, y, 10).load_state_dict({**state, "position": 99})
    with pytest.raises(DataError, match="random state"):
        DataLoader(x, y, 10).load_state_dict({**state, "rng": {"bit_generator": "MT19937", "state": {}}})
