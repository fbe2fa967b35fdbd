"""CPU pooling kernels against float64 numpy loop references (and PyTorch when installed)."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import reference
from tinygrad_cnn.backends._pool_windows import adaptive_windows, pool_windows
from tinygrad_cnn.backends.cpu import pool


# ---------------------------------------------------------------- float64 references (windows
# recomputed here from PyTorch's definition: an independent check of the shared tables)
def _windows(size, k, s, p):
    """Per output index: the clipped window ``[start, end)`` and its padded length."""
    out = []
    for o in range((size + 2 * p - k) // s + 1):
        start, end = o * s - p, min(o * s - p + k, size + p)
        out.append((max(start, 0), min(end, size), end - start))
    return out


def ref_max(x, kernel, stride, padding):
    """(out, argmax) of the reference backend (its own windows, first maximum on ties)."""
    return reference.max_pool2d_forward(x, kernel, stride, padding)


def _avg_windows(shape, kernel, stride, padding, include_pad):
    """``(i, j, rows, cols, divisor)`` for every output cell of an average pool."""
    h, w = shape[2:]
    for i, (h0, h1, ph) in enumerate(_windows(h, kernel[0], stride[0], padding[0])):
        for j, (w0, w1, pw) in enumerate(_windows(w, kernel[1], stride[1], padding[1])):
            div = ph * pw if include_pad else (h1 - h0) * (w1 - w0)
            yield i, j, slice(h0, h1), slice(w0, w1), div


def _adaptive_windows(shape, output_size):
    h, w = shape[2:]
    oh, ow = output_size
    for i in range(oh):
        h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
            yield i, j, slice(h0, h1), slice(w0, w1), (h1 - h0) * (w1 - w0)


def ref_mean_pool(x, windows, out_hw):
    """Forward of an average pool given its windows: the window sum over the divisor."""
    out = np.empty(x.shape[:2] + out_hw)
    for i, j, rows, cols, div in windows:
        out[:, :, i, j] = x[:, :, rows, cols].sum(axis=(2, 3)) / div
    return out


def ref_mean_pool_backward(g, x_shape, windows):
    """Backward: each output gradient over its divisor, added onto every cell of its window."""
    dx = np.zeros(x_shape)
    for i, j, rows, cols, div in windows:
        dx[:, :, rows, cols] += (g[:, :, i, j] / div)[:, :, None, None]
    return dx


def ref_avg(x, kernel, stride, padding, include_pad):
    wins = list(_avg_windows(x.shape, kernel, stride, padding, include_pad))
    return ref_mean_pool(x, wins, (wins[-1][0] + 1, wins[-1][1] + 1))


def ref_adaptive(x, output_size):
    return ref_mean_pool(x, _adaptive_windows(x.shape, output_size), tuple(output_size))


def test_references_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    # 2x2 / stride 2 means, and a 3x3 / pad 1 corner with and without the padded zeros counted
    np.testing.assert_array_equal(ref_avg(x, (2, 2), (2, 2), (0, 0), True)[0, 0],
                                  [[2.5, 4.5], [10.5, 12.5]])
    assert ref_avg(x, (3, 3), (1, 1), (1, 1), True)[0, 0, 0, 0] == (0 + 1 + 4 + 5) / 9
    assert ref_avg(x, (3, 3), (1, 1), (1, 1), False)[0, 0, 0, 0] == (0 + 1 + 4 + 5) / 4
    # adaptive 4 -> 3 windows: rows/cols [0, 2), [1, 3), [2, 4)
    assert ref_adaptive(x, (3, 3))[0, 0, 1, 2] == (6 + 7 + 10 + 11) / 4
    np.testing.assert_array_equal(ref_max(x, (3, 3), (2, 2), (1, 1))[1][0, 0], [[5, 7], [13, 15]])


# ---------------------------------------------------------------- geometry, valid by construction
@st.composite
def pool_geometries(draw):
    """Kernel, stride, padding <= kernel//2 (PyTorch's rule), then an input size that gives at
    least one output."""
    k, s, p, size = [], [], [], []
    for _ in range(2):
        k.append(draw(st.integers(1, 4)))
        s.append(draw(st.integers(1, 3)))
        p.append(draw(st.integers(0, min(2, k[-1] // 2))))
        size.append(draw(st.integers(max(1, k[-1] - 2 * p[-1]), 9)))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 4))) + tuple(size),
                kernel=tuple(k), stride=tuple(s), padding=tuple(p))


def _unique(shape, dtype, seed):
    """Distinct values (a shuffled ramp), so every window has one clear maximum."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))) - 7.5).reshape(shape).astype(dtype)


DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-13, atol=1e-13)}


@settings(max_examples=40, deadline=None)
@given(geo=pool_geometries(), dtype=DTYPES, seed=st.integers(0, 999))
def test_max_pool_matches_reference(geo, dtype, seed):
    x = _unique(geo["shape"], dtype, seed)
    hyper = geo["kernel"], geo["stride"], geo["padding"]
    out, idx = pool.max_pool2d_forward(x, *hyper)
    want, want_idx = ref_max(x.astype(np.float64), *hyper)
    assert out.dtype == dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(idx, want_idx)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    dx = pool.max_pool2d_backward(g, idx, x.shape)
    want_dx = np.zeros(x.shape)
    n, c = x.shape[:2]
    for a in range(n):
        for b in range(c):
            np.add.at(want_dx[a, b].reshape(-1), want_idx[a, b].reshape(-1),
                      g[a, b].reshape(-1).astype(np.float64))
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, want_dx, **TOL[dtype])


def test_max_pool_ties_pick_first_and_padding_never_wins():
    # All -5: every window ties, the first in-image cell (row-major) wins; the -inf padding loses.
    x = np.full((1, 1, 4, 5), -5.0, np.float32)
    out, idx = pool.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1))
    np.testing.assert_array_equal(out, -5.0)
    np.testing.assert_array_equal(idx[0, 0], [[0, 1, 3], [5, 6, 8]])
    dx = pool.max_pool2d_backward(np.ones_like(out), idx, x.shape)
    assert dx.sum() == out.size and dx[0, 0, 1, 1] == 1.0


def ref_max_special(plane, kernel, stride, padding):
    """PyTorch's loop for one plane: ``val > max or isnan(val)`` (the last NaN wins)."""
    rows = _windows(plane.shape[0], kernel[0], stride[0], padding[0])
    cols = _windows(plane.shape[1], kernel[1], stride[1], padding[1])
    out = np.empty((len(rows), len(cols)))
    idx = np.empty(out.shape, np.int64)
    for i, (h0, h1, _) in enumerate(rows):
        for j, (w0, w1, _) in enumerate(cols):
            best, arg = -np.inf, h0 * plane.shape[1] + w0
            for a in range(h0, h1):
                for b in range(w0, w1):
                    if plane[a, b] > best or np.isnan(plane[a, b]):
                        best, arg = plane[a, b], a * plane.shape[1] + b
            out[i, j], idx[i, j] = best, arg
    return out, idx


SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0, 2.0])


@settings(max_examples=40, deadline=None)
@given(geo=pool_geometries(), dtype=DTYPES, data=st.data())
def test_max_pool_nan_and_inf_follow_pytorch(geo, dtype, data):
    # NaN wins its window (the last NaN), infinities and ties behave like PyTorch's CPU kernel.
    h, w = geo["shape"][2:]
    x = np.array(data.draw(st.lists(SPECIAL, min_size=h * w, max_size=h * w)), dtype)
    x = x.reshape(1, 1, h, w)
    hyper = geo["kernel"], geo["stride"], geo["padding"]
    out, idx = pool.max_pool2d_forward(x, *hyper)
    want, want_idx = ref_max_special(x[0, 0].astype(np.float64), *hyper)
    np.testing.assert_array_equal(out[0, 0], want)  # NaN == NaN for assert_array_equal
    np.testing.assert_array_equal(idx[0, 0], want_idx)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 9), w=st.integers(2, 9), planes=st.integers(1, 3), dtype=DTYPES,
       data=st.data())
def test_max_pool_2x2_stride_2_fast_path_follows_the_same_rule(h, w, planes, dtype, data):
    # VGG's pooling has a kernel of its own (no window tables): the same values and argmax as
    # PyTorch's loop and as the general kernel, odd sizes (last row/column dropped) included.
    cells = planes * h * w
    x = np.array(data.draw(st.lists(SPECIAL, min_size=cells, max_size=cells)), dtype)
    x = x.reshape(1, planes, h, w)
    out, idx = pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    general, general_idx = np.empty_like(out), np.empty_like(idx)
    rows, cols = pool_windows((h, w), (2, 2), (2, 2), (0, 0))
    pool._max_fwd(x, general, general_idx, rows.start, rows.end, cols.start, cols.end)
    np.testing.assert_array_equal(out, general)
    np.testing.assert_array_equal(idx, general_idx)
    for c in range(planes):
        want, want_idx = ref_max_special(x[0, c].astype(np.float64), (2, 2), (2, 2), (0, 0))
        np.testing.assert_array_equal(out[0, c], want)
        np.testing.assert_array_equal(idx[0, c], want_idx)
    g = np.arange(1.0, out.size + 1, dtype=dtype).reshape(out.shape)
    dx = pool.max_pool2d_backward(g, idx, x.shape)
    want_dx = np.zeros(x.shape)
    for c, i, j in np.ndindex(out.shape[1:]):
        want_dx[0, c].reshape(-1)[idx[0, c, i, j]] += g[0, c, i, j]
    np.testing.assert_array_equal(dx, want_dx)


@settings(max_examples=40, deadline=None)
@given(geo=pool_geometries(), dtype=DTYPES, include_pad=st.booleans(), seed=st.integers(0, 999))
def test_avg_pool_matches_reference(geo, dtype, include_pad, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geo["shape"]).astype(dtype)
    hyper = geo["kernel"], geo["stride"], geo["padding"]
    out = pool.avg_pool2d_forward(x, pool_windows(x.shape[2:], *hyper, include_pad))
    assert out.dtype == dtype
    want = ref_avg(x.astype(np.float64), *hyper, include_pad)
    np.testing.assert_allclose(out, want, **TOL[dtype])
    g = rng.standard_normal(out.shape)
    dx = pool.avg_pool2d_backward(g.astype(dtype), pool_windows(x.shape[2:], *hyper, include_pad))
    wins = _avg_windows(x.shape, *hyper, include_pad)
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, ref_mean_pool_backward(g, x.shape, wins), **TOL[dtype])


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
       out_size=st.tuples(st.integers(1, 9), st.integers(1, 9)), dtype=DTYPES,
       seed=st.integers(0, 999))
def test_adaptive_avg_pool_matches_reference(shape, out_size, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    out = pool.avg_pool2d_forward(x, adaptive_windows(shape[2:], out_size))
    assert out.dtype == dtype and out.shape == shape[:2] + out_size
    np.testing.assert_allclose(out, ref_adaptive(x.astype(np.float64), out_size), **TOL[dtype])
    g = rng.standard_normal(out.shape)
    dx = pool.avg_pool2d_backward(g.astype(dtype), adaptive_windows(shape[2:], out_size))
    want = ref_mean_pool_backward(g, shape, _adaptive_windows(shape, out_size))
    np.testing.assert_allclose(dx, want, **TOL[dtype])


@settings(max_examples=25, deadline=None)
@given(geo=pool_geometries(), include_pad=st.booleans(), seed=st.integers(0, 999))
def test_float32_matches_pytorch(geo, include_pad, seed):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = _unique(geo["shape"], np.float32, seed)
    hyper = geo["kernel"], geo["stride"], geo["padding"]
    g = np.random.default_rng(seed).standard_normal(
        pool.max_pool2d_forward(x, *hyper)[0].shape).astype(np.float32)

    xt = torch.from_numpy(x).requires_grad_()
    yt, it = F.max_pool2d(xt, *hyper, return_indices=True)
    yt.backward(torch.from_numpy(g))
    out, idx = pool.max_pool2d_forward(x, *hyper)
    np.testing.assert_array_equal(out, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    np.testing.assert_array_equal(pool.max_pool2d_backward(g, idx, x.shape), xt.grad.numpy())

    xt = torch.from_numpy(x).requires_grad_()
    yt = F.avg_pool2d(xt, *hyper, count_include_pad=include_pad)
    yt.backward(torch.from_numpy(g))
    wins = pool_windows(x.shape[2:], *hyper, include_pad)
    np.testing.assert_allclose(pool.avg_pool2d_forward(x, wins), yt.detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pool.avg_pool2d_backward(g, wins), xt.grad.numpy(),
                               rtol=1e-6, atol=1e-6)

    xt = torch.from_numpy(x).requires_grad_()
    yt = F.adaptive_avg_pool2d(xt, g.shape[2:])
    yt.backward(torch.from_numpy(g))
    wins = adaptive_windows(x.shape[2:], g.shape[2:])
    np.testing.assert_allclose(pool.avg_pool2d_forward(x, wins), yt.detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pool.avg_pool2d_backward(g, wins), xt.grad.numpy(),
                               rtol=1e-6, atol=1e-6)


def test_non_contiguous_inputs_and_one_float32_specialization():
    rng = np.random.default_rng(5)
    for shape in [(2, 3, 6, 8), (1, 2, 5, 7)]:
        x = rng.standard_normal(shape[:2] + shape[:1:-1]).astype(np.float32).transpose(0, 1, 3, 2)
        x = x[:, ::-1]  # transposed and reversed: not C-contiguous
        out, idx = pool.max_pool2d_forward(x, (2, 2), (2, 1), (1, 0))
        np.testing.assert_array_equal(out, ref_max(x.astype(np.float64), (2, 2), (2, 1), (1, 0))[0])
        g = np.asfortranarray(rng.standard_normal(out.shape).astype(np.float32))
        pool.max_pool2d_backward(g, idx.astype(np.int32), x.shape)
        for include_pad in (True, False):
            wins = pool_windows(x.shape[2:], (3, 2), (1, 2), (1, 1), include_pad)
            avg = pool.avg_pool2d_forward(x, wins)
            np.testing.assert_allclose(avg, ref_avg(x.astype(np.float64), (3, 2), (1, 2), (1, 1),
                                                    include_pad), rtol=1e-5, atol=1e-6)
            pool.avg_pool2d_backward(np.asfortranarray(avg), wins)
        ad = pool.avg_pool2d_forward(x, adaptive_windows(x.shape[2:], (3, 2)))
        np.testing.assert_allclose(ad, ref_adaptive(x.astype(np.float64), (3, 2)), rtol=1e-5,
                                   atol=1e-6)
        pool.avg_pool2d_backward(np.asfortranarray(ad), adaptive_windows(x.shape[2:], (3, 2)))
    kernels = [pool._max_fwd, pool._max_bwd, pool._window_avg_fwd, pool._window_avg_bwd]
    for kernel in kernels:
        f32 = [sig for sig in kernel.signatures
               if any(getattr(t, "dtype", None) == numba.float32 for t in sig)]
        assert len(f32) == 1, (kernel, kernel.signatures)


def test_special_values_match_pytorch():
    torch = pytest.importorskip("torch")
    nan, inf = np.nan, np.inf
    x = np.array([[1, nan, 2, nan], [3, 4, inf, 5], [-inf, -inf, 7, nan], [1, 2, 3, 4]],
                 np.float32).reshape(1, 1, 4, 4)
    for hyper in [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((2, 3), (1, 2), (1, 1))]:
        out, idx = pool.max_pool2d_forward(x, *hyper)
        want, want_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), *hyper,
                                                        return_indices=True)
        np.testing.assert_array_equal(out, want.numpy())
        np.testing.assert_array_equal(idx, want_idx.numpy())


@pytest.mark.parametrize("shape", [(0, 3, 4, 4), (2, 0, 4, 4), (1, 2, 1, 5)])
@pytest.mark.parametrize("hyper", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1))])
def test_max_pool_of_nothing(shape, hyper):
    # empty batches or channels (and a 2x2 window that fits no row): empty results both ways
    x = np.zeros(shape, np.float32)
    out, idx = pool.max_pool2d_forward(x, *hyper)
    (k, _), (s, _), (p, _) = hyper
    assert out.shape == shape[:2] + tuple((size + 2 * p - k) // s + 1 for size in shape[2:])
    dx = pool.max_pool2d_backward(np.ones_like(out), idx, x.shape)
    assert dx.shape == x.shape and dx.sum() == out.size
