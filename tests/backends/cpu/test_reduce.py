"""Sums over every axis but one (bias and BatchNorm gradients) take the Numba kernel."""
import numba
import numpy as np
import pytest

from tinygrad_cnn.backends.cpu import reduce


@pytest.mark.parametrize("shape, axes", [((5, 7, 3, 4), (0, 2, 3)), ((6, 9), (0,)),
                                         ((4, 3, 5), (1, 2)), ((3, 4, 5), (-3, -1)),
                                         ((8,), ())])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matches_a_float64_sum(shape, axes, dtype, keepdims):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    got = reduce.sum(a, axes, keepdims)
    expected = np.sum(a.astype(np.float64), axis=axes, keepdims=keepdims)
    assert got.dtype == dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)


def test_float32_channel_sums_more_accurate_than_float32_pairwise():
    a = (np.random.default_rng(1).standard_normal((64, 16, 32, 32)) + 3).astype(np.float32)
    exact = a.astype(np.float64).sum(axis=(0, 2, 3))
    ours = np.abs(reduce.sum(a, (0, 2, 3), False) - exact).max()
    numpy32 = np.abs(np.sum(a, axis=(0, 2, 3), dtype=np.float32) - exact).max()
    assert ours <= numpy32 and ours <= 1e-7 * np.abs(exact).max()


def test_same_bits_for_any_thread_count():
    a = np.random.default_rng(2).standard_normal((32, 64, 8, 8)).astype(np.float32)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = reduce.sum(a, (0, 2, 3), False)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(one, reduce.sum(a, (0, 2, 3), False))


def test_non_contiguous_and_integer_inputs_take_numpy():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, :, ::2]
    assert np.array_equal(reduce.sum(a, (0, 2), False), a.sum(axis=(0, 2)))
    b = np.arange(6).reshape(2, 3)
    assert reduce.sum(b, (0,), False).dtype == b.dtype
