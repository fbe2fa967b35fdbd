"""CPU convolution results do not depend on the number of threads (NUMBA_NUM_THREADS)."""
import numba
import numpy as np
import pytest

from tinygrad_cnn.backends.cpu import conv

HYPER = ((1, 1), (1, 1), (1, 1), 1)


def _all_passes(x, w, b, go):
    return (conv.conv2d_forward(x, w, b, *HYPER),
            conv.conv2d_backward_input(go, w, x.shape, *HYPER),
            conv.conv2d_backward_weight(go, x, w.shape, *HYPER))


@pytest.mark.parametrize("algo", ["im2col", "winograd", "winograd4", "direct"])
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
