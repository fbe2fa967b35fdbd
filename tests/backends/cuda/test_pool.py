"""Max, average and adaptive pooling, forward and backward, against the reference backend
(whose windows are checked against PyTorch in tests/backends/test_pool_windows.py)."""
import numpy as np
import pytest

from tinygrad_cnn.backends._pool_windows import adaptive_windows, pool_windows

FLOATS = [np.float32, np.float64]
WINDOWS = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 1), (1, 0)),
           ((2, 3), (1, 2), (1, 1))]


def _unique(shape, dtype, seed=0):
    # Distinct values: max pooling has no ties, so the argmax is unambiguous.
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape).astype(dtype) / 7


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k,s,p", WINDOWS)
def test_max_pool(be, dtype, k, s, p, ref):
    x = _unique((2, 2, 5, 6), dtype)
    out, arg = be.max_pool2d_forward(be.from_numpy(x), k, s, p)
    out_ref, arg_ref = ref.max_pool2d_forward(x, k, s, p)
    np.testing.assert_array_equal(be.to_numpy(out), out_ref)
    assert be.to_numpy(arg).dtype == np.int64
    np.testing.assert_array_equal(be.to_numpy(arg), arg_ref)
    gy = np.random.default_rng(1).standard_normal(out_ref.shape).astype(dtype)
    dx = be.to_numpy(be.max_pool2d_backward(be.from_numpy(gy), arg, x.shape))
    np.testing.assert_allclose(dx, ref.max_pool2d_backward(gy, arg_ref, x.shape), **ref.tol(dtype))


def test_max_pool_first_maximum_wins_on_ties(be):
    x = np.zeros((1, 1, 2, 2), np.float32)
    _, arg = be.max_pool2d_forward(be.from_numpy(x), (2, 2), (1, 1), (0, 0))
    assert be.to_numpy(arg).ravel().tolist() == [0]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k,s,p", WINDOWS)
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool(be, ref, dtype, k, s, p, include_pad):
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 6)).astype(dtype)
    wins = pool_windows((5, 6), k, s, p, include_pad)
    out = be.to_numpy(be.avg_pool2d_forward(be.from_numpy(x), wins))
    np.testing.assert_allclose(out, ref.avg_pool2d_forward(x, wins), **ref.tol(dtype))
    gy = np.random.default_rng(3).standard_normal(out.shape).astype(dtype)
    dx = be.to_numpy(be.avg_pool2d_backward(be.from_numpy(gy), wins))
    np.testing.assert_allclose(dx, ref.avg_pool2d_backward(gy, wins), **ref.tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("hw,out_hw", [((5, 7), (2, 3)), ((6, 6), (3, 3)), ((4, 4), (6, 5)),
                                       ((5, 5), (1, 1))])
def test_adaptive_avg_pool(be, ref, dtype, hw, out_hw):
    x = np.random.default_rng(4).standard_normal((2, 2) + hw).astype(dtype)
    wins = adaptive_windows(hw, out_hw)
    out = be.to_numpy(be.avg_pool2d_forward(be.from_numpy(x), wins))
    np.testing.assert_allclose(out, ref.avg_pool2d_forward(x, wins), **ref.tol(dtype))
    gy = np.random.default_rng(5).standard_normal(out.shape).astype(dtype)
    dx = be.to_numpy(be.avg_pool2d_backward(be.from_numpy(gy), wins))
    np.testing.assert_allclose(dx, ref.avg_pool2d_backward(gy, wins), **ref.tol(dtype))
