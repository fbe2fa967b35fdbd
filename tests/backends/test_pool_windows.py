"""The host window tables both backends pool over (backends/_pool_windows.py), against
PyTorch's definitions written as per-plane matrices (and PyTorch itself when installed)."""
import itertools

import numpy as np
import pytest

from tinygrad_cnn.backends._pool_windows import (adaptive_axis, adaptive_windows, axis_windows,
                                                 pool_windows)

WINDOWS = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 1), (1, 0)),
           ((2, 3), (1, 2), (1, 1))]


def avg_pool2d_matrix(h, w, k, s, p, include_pad):
    """Matrix A (OH*OW, H*W) with avg_pool(x) = A @ x per plane, from PyTorch's definition."""
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    a = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            cells = [(r, q) for r in range(max(h0, 0), min(h0 + k[0], h))
                     for q in range(max(w0, 0), min(w0 + k[1], w))]
            div = k[0] * k[1] if include_pad else len(cells)
            for r, q in cells:
                a[i * ow + j, r * w + q] = 1.0 / div
    return a, (oh, ow)


def adaptive_matrix(h, w, oh, ow):
    """Matrix of PyTorch's adaptive average pooling on one (h, w) plane."""
    a = np.zeros((oh * ow, h * w))
    for i in range(oh):
        h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            for r in range(h0, h1):
                for q in range(w0, w1):
                    a[i * ow + j, r * w + q] = 1.0 / ((h1 - h0) * (w1 - w0))
    return a


def plane_apply(a, x, out_hw):
    n, c = x.shape[:2]
    return (x.reshape(n * c, -1) @ a.T).reshape(n, c, *out_hw)


X = np.random.default_rng(0).standard_normal((2, 3, 5, 6))


@pytest.mark.parametrize("k,s,p", WINDOWS)
@pytest.mark.parametrize("include_pad", [True, False])
def test_average_windows_are_pytorchs(ref, k, s, p, include_pad):
    a, out_hw = avg_pool2d_matrix(5, 6, k, s, p, include_pad)
    wins = pool_windows((5, 6), k, s, p, include_pad)
    assert wins.out_hw == out_hw and wins.in_hw == (5, 6)
    np.testing.assert_allclose(ref.avg_pool2d_forward(X, wins), plane_apply(a, X, out_hw),
                               rtol=1e-13)
    gy = np.random.default_rng(1).standard_normal(X.shape[:2] + out_hw)
    np.testing.assert_allclose(ref.avg_pool2d_backward(gy, wins), plane_apply(a.T, gy, (5, 6)),
                               rtol=1e-13)


@pytest.mark.parametrize("hw,out_hw", [((5, 7), (2, 3)), ((6, 6), (3, 3)), ((4, 4), (6, 5)),
                                       ((5, 5), (1, 1))])
def test_adaptive_windows_are_pytorchs(ref, hw, out_hw):
    x = np.random.default_rng(2).standard_normal((2, 2) + hw)
    wins = adaptive_windows(hw, out_hw)
    a = adaptive_matrix(*hw, *out_hw)
    np.testing.assert_allclose(ref.avg_pool2d_forward(x, wins), plane_apply(a, x, out_hw),
                               rtol=1e-13)
    gy = np.random.default_rng(3).standard_normal((2, 2) + out_hw)
    np.testing.assert_allclose(ref.avg_pool2d_backward(gy, wins), plane_apply(a.T, gy, hw),
                               rtol=1e-13)


def test_covering_windows_are_exactly_those_containing_the_cell():
    axes = [axis_windows(size, k, s, p, inc)
            for size, k, s, inc in itertools.product(range(1, 8), range(1, 5), range(1, 4),
                                                     (True, False))
            for p in range(k // 2 + 1) if size + 2 * p >= k]
    axes += [adaptive_axis(size, out) for size in range(1, 8) for out in range(1, 9)]
    for w in axes:
        for i in range(w.size):
            covering = [o for o in range(w.out) if w.start[o] <= i < w.end[o]]
            assert covering == list(range(w.first[i], w.stop[i])), (w.key, i)


def test_tables_are_cached_and_read_only():
    a = pool_windows((8, 8), (2, 2), (2, 2), (0, 0))
    assert a.rows is pool_windows((8, 8), (2, 2), (2, 2), (0, 0)).rows
    with pytest.raises(ValueError):
        a.rows.start[0] = 1


def test_references_match_torch(ref):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.random.default_rng(4).permutation(60).reshape(1, 2, 5, 6) / 7.0
    for k, s, p in WINDOWS:
        t_out, t_arg = F.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
        out, arg = ref.max_pool2d_forward(x, k, s, p)
        np.testing.assert_array_equal(out, t_out.numpy())
        np.testing.assert_array_equal(arg, t_arg.numpy())
        for include_pad in (True, False):
            t = F.avg_pool2d(torch.tensor(x), k, s, p, count_include_pad=include_pad)
            got = ref.avg_pool2d_forward(x, pool_windows((5, 6), k, s, p, include_pad))
            np.testing.assert_allclose(got, t.numpy(), rtol=1e-12)
    t = F.adaptive_avg_pool2d(torch.tensor(x), (4, 4))
    np.testing.assert_allclose(ref.avg_pool2d_forward(x, adaptive_windows((5, 6), (4, 4))),
                               t.numpy(), rtol=1e-12)
