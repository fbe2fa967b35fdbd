"""Dropout masks: statistics, values, determinism in the seed."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.backends.cpu import random as rnd


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_fraction_of_zeros_and_scale(p, dtype):
    n = 200_000
    m = rnd.dropout_mask((n // 100, 10, 10), p, dtype, seed=3)
    assert m.shape == (n // 100, 10, 10) and m.dtype == dtype and m.flags.c_contiguous
    zeros = m == 0
    # Binomial(n, p): 5 standard deviations.
    assert abs(zeros.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(m[~zeros], dtype(1 / (1 - p)))
    assert m.mean() == pytest.approx(1.0, abs=0.02)  # dropout keeps the expectation


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple),
       p=st.floats(0.0, 0.95), seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_mask(shape, p, seed):
    a = rnd.dropout_mask(shape, p, np.float32, seed)
    b = rnd.dropout_mask(shape, p, np.float32, seed)
    assert a.shape == shape
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / (1 - p))}


def test_different_seeds_differ():
    a = rnd.dropout_mask((1000,), 0.5, np.float32, 1)
    b = rnd.dropout_mask((1000,), 0.5, np.float32, 2)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_probabilities(dtype):
    np.testing.assert_array_equal(rnd.dropout_mask((5, 7), 0.0, dtype, 0), np.ones((5, 7)))
    np.testing.assert_array_equal(rnd.dropout_mask((5, 7), 1.0, dtype, 0), np.zeros((5, 7)))
    assert rnd.dropout_mask((0, 3), 0.5, dtype, 0).shape == (0, 3)


def test_one_float32_specialisation():
    for shape in [(3,), (2, 5), (2, 3, 4, 5)]:
        rnd.dropout_mask(shape, 0.25, np.float32, 0)
        rnd.dropout_mask(shape, 0, np.dtype("float32"), 1)  # int p, dtype object
    sigs = [s for s in rnd._hash_mask.signatures if s[0].dtype == numba.float32]
    assert len(sigs) == 1, rnd._hash_mask.signatures


def test_cpu_mask_equals_the_cuda_kernels_mask_for_the_same_seed():
    """One hash on both devices (numpy reference of the CUDA kernel; no GPU needed)."""
    from tinygrad_cnn.backends.cpu.random import dropout_mask
    from tinygrad_cnn.backends.cuda.random import reference_mask
    for p, seed, dtype in ((0.5, 0, np.float32), (0.1, 12345, np.float64), (0.9, 2**40, np.float32)):
        np.testing.assert_array_equal(dropout_mask((3, 7, 5), p, dtype, seed),
                                      reference_mask((3, 7, 5), p, dtype, seed))
