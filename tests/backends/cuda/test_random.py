"""Dropout masks: exact agreement with the numpy twin of the hash, determinism, statistics."""
import numpy as np
import pytest


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_mask_matches_reference(be, dtype, p):
    from tinygrad_cnn.backends.cuda.random import reference_mask
    m = be.to_numpy(be.dropout_mask((3, 41), p, dtype, seed=123))
    assert m.dtype == dtype and m.shape == (3, 41)
    np.testing.assert_array_equal(m, reference_mask((3, 41), p, dtype, 123))
    expect_keep = 0.0 if p == 1.0 else 1 / (1 - p)
    assert set(np.unique(m)) <= {0.0, dtype(expect_keep)}
    if p == 0.0:
        assert (m == 1).all()
    if p == 1.0:
        assert not m.any()


def test_deterministic_in_seed_and_seeds_differ(be):
    a = be.to_numpy(be.dropout_mask((200,), 0.5, np.float32, seed=7))
    b = be.to_numpy(be.dropout_mask((200,), 0.5, np.float32, seed=7))
    c = be.to_numpy(be.dropout_mask((200,), 0.5, np.float32, seed=8))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_keep_rate_and_independence_on_the_host_twin():
    # Statistics on a large mask from the numpy twin (the kernel agrees bit for bit above).
    from tinygrad_cnn.backends.cuda.random import reference_mask
    m = reference_mask((400, 500), 0.3, np.float64, seed=1) > 0
    assert abs(m.mean() - 0.7) < 0.005
    # neighbouring elements are uncorrelated
    assert abs(np.corrcoef(m[:, :-1].ravel(), m[:, 1:].ravel())[0, 1]) < 0.01
    # consecutive seeds give unrelated masks
    m2 = reference_mask((400, 500), 0.3, np.float64, seed=2) > 0
    assert abs(np.corrcoef(m.ravel(), m2.ravel())[0, 1]) < 0.01
