"""CPU convolution results do not depend on the number of threads (NUMBA_NUM_THREADS)."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.backends.cpu import conv

HYPER = ((1, 1), (1, 1), (1, 1), 1)


def _all_passes(x, w, b, go):
    return (conv.conv2d_forward(x, w, b, *HYPER),
            conv.conv2d_backward_input(go, w, x.shape, *HYPER),
            conv.conv2d_backward_weight(go, x, w.shape, *HYPER))


@pytest.mark.parametrize("algo", ["im2col", "winograd", "winograd4"])
def test_same_bits_with_one_thread_and_with_all(monkeypatch, algo):
    monkeypatch.setenv("TGCNN_CONV_ALGO", algo)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 16, 13, 11), dtype=np.float32)
    w = rng.standard_normal((24, 16, 3, 3), dtype=np.float32)
    b = rng.standard_normal(24, dtype=np.float32)
    go = rng.standard_normal((9, 24, 13, 11), dtype=np.float32)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _all_passes(x, w, b, go)
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(one, _all_passes(x, w, b, go)):
        assert np.array_equal(a, b_)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 5), h=st.integers(1, 6), w=st.integers(1, 7),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_relu_backward_bias_matches_mask_and_float64_sum(n, c, h, w, dtype):
    """The fused ReLU-mask + bias-gradient kernel: the mask of ``relu_backward`` bit for bit
    (NaN outputs pass the gradient), the per-channel sums within float rounding of float64,
    and the same bits for one thread or all (plane sizes that are and are not multiples of 8)."""
    rng = np.random.default_rng(n * 100 + c * 10 + h + w)
    grad = rng.standard_normal((n, c, h, w)).astype(dtype)
    out = rng.standard_normal((n, c, h, w)).astype(dtype)
    out.flat[0] = np.nan
    dx, db = conv.relu_backward_bias(grad, out)
    want = np.where(out <= 0, 0, grad)
    np.testing.assert_array_equal(dx, want)
    assert db.dtype == dtype and db.shape == (c,)
    exact = want.astype(np.float64).sum(axis=(0, 2, 3))
    np.testing.assert_allclose(db, exact, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-12)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        again = conv.relu_backward_bias(grad, out)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(again[1], db) and np.array_equal(again[0], dx)
