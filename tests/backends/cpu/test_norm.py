"""Batch-norm kernels against float64 numpy references, finite differences and PyTorch."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.backends.cpu import norm

SHAPES = st.one_of(
    st.tuples(st.integers(2, 5), st.integers(1, 6)),
    st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)),
).filter(lambda s: s[0] * int(np.prod(s[2:])) > 1)  # training needs > 1 value per channel
DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _bcast(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def ref_train_forward(x, w, b, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=_axes(x))
    var = x.var(axis=_axes(x))
    n = x.size // x.shape[1]
    invstd = 1.0 / np.sqrt(var + eps)
    y = (x - _bcast(mean, x)) * _bcast(invstd * w, x) + _bcast(b, x)
    return y, mean, invstd, var * n / (n - 1)


def ref_backward(g, x, w, mean, invstd):
    g, x = g.astype(np.float64), x.astype(np.float64)
    xhat = (x - _bcast(mean, x)) * _bcast(invstd, x)
    db = g.sum(axis=_axes(x))
    dw = (g * xhat).sum(axis=_axes(x))
    n = x.size // x.shape[1]
    dx = _bcast(w * invstd, x) * (g - _bcast(db / n, x) - xhat * _bcast(dw / n, x))
    return dx, dw, db


def _data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    w = rng.uniform(0.5, 1.5, c).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    return x, w, b, g


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16))
def test_train_forward_matches_reference(shape, dtype, seed):
    x, w, b, _ = _data(shape, dtype, seed)
    got = norm.batch_norm_train_forward(x, w, b, 1e-5)
    want = ref_train_forward(x, w.astype(np.float64), b.astype(np.float64), 1e-5)
    assert got[0].shape == x.shape
    for g, r in zip(got, want):
        assert g.dtype == dtype and g.flags.c_contiguous
        np.testing.assert_allclose(g, r, **TOL[dtype])


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16))
def test_backward_matches_reference(shape, dtype, seed):
    x, w, b, g = _data(shape, dtype, seed)
    _, mean, invstd, _ = norm.batch_norm_train_forward(x, w, b, 1e-5)
    got = norm.batch_norm_backward(g, x, w, mean, invstd)
    want = ref_backward(g, x, w.astype(np.float64), mean.astype(np.float64),
                        invstd.astype(np.float64))
    assert got[0].shape == x.shape
    for a, r in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, r, rtol=TOL[dtype]["rtol"], atol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("shape", [(3, 2, 2, 2), (4, 3)])
def test_backward_matches_finite_differences(shape):
    """The analytic gradient of sum(g * y(x, w, b)) equals central differences (float64)."""
    x, w, b, g = _data(shape, np.float64, 3)
    _, mean, invstd, _ = norm.batch_norm_train_forward(x, w, b, 1e-3)
    dx, dw, db = norm.batch_norm_backward(g, x, w, mean, invstd)
    rng = np.random.default_rng(0)
    h = 1e-6

    def f(xx, ww, bb):
        return float(np.sum(g * norm.batch_norm_train_forward(xx, ww, bb, 1e-3)[0]))

    for arr, grad, which in ((x, dx, 0), (w, dw, 1), (b, db, 2)):
        v = rng.standard_normal(arr.shape)
        plus = [x, w, b]
        minus = [x, w, b]
        plus[which] = arr + h * v
        minus[which] = arr - h * v
        numeric = (f(*plus) - f(*minus)) / (2 * h)
        assert numeric == pytest.approx(float(np.sum(grad * v)), rel=1e-6, abs=1e-8)


def test_float32_statistics_stay_accurate_with_large_offset():
    """Two-pass statistics: a mean of 1000 and unit spread would ruin sum(x^2) - n*mean^2."""
    rng = np.random.default_rng(1)
    x64 = rng.standard_normal((64, 2, 32, 32)) + 1000.0
    x = x64.astype(np.float32)
    _, mean, invstd, var = norm.batch_norm_train_forward(x, np.ones(2), np.zeros(2), 1e-5)
    _, rmean, rinvstd, rvar = ref_train_forward(x, np.ones(2), np.zeros(2), 1e-5)
    np.testing.assert_allclose(mean, rmean, rtol=1e-6)
    np.testing.assert_allclose(var, rvar, rtol=1e-4)
    np.testing.assert_allclose(invstd, rinvstd, rtol=1e-4)


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16))
def test_eval_forward_matches_reference(shape, dtype, seed):
    x, w, b, _ = _data(shape, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    mean = rng.standard_normal(shape[1]).astype(dtype)
    var = rng.uniform(0.1, 3.0, shape[1]).astype(dtype)
    y = norm.batch_norm_eval_forward(x, mean, var, w, b, 1e-5)
    f64 = [a.astype(np.float64) for a in (x, mean, var, w, b)]
    want = (f64[0] - _bcast(f64[1], x)) / np.sqrt(_bcast(f64[2], x) + 1e-5) * _bcast(f64[3], x) \
        + _bcast(f64[4], x)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_allclose(y, want, **TOL[dtype])


def test_non_contiguous_input_gives_same_result():
    x, w, b, g = _data((4, 3, 5, 6), np.float32, 7)
    xt = np.asfortranarray(x)
    for a, r in zip(norm.batch_norm_train_forward(xt, w, b, 1e-5),
                    norm.batch_norm_train_forward(x, w, b, 1e-5)):
        np.testing.assert_array_equal(a, r)


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (8, 6)])
def test_matches_torch_training_forward_and_autograd(shape):
    torch = pytest.importorskip("torch")
    x, w, b, g = _data(shape, np.float32, 11)
    y, mean, invstd, var = norm.batch_norm_train_forward(x, w, b, 1e-5)
    dx, dw, db = norm.batch_norm_backward(g, x, w, mean, invstd)

    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    running_mean = torch.zeros(shape[1])
    running_var = torch.zeros(shape[1])
    # momentum=1 makes the running statistics exactly the batch mean and unbiased variance.
    ty = torch.nn.functional.batch_norm(tx, running_mean, running_var, tw, tb, training=True,
                                        momentum=1.0, eps=1e-5)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mean, running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, running_var.numpy(), rtol=1e-5)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_matches_torch_eval():
    torch = pytest.importorskip("torch")
    x, w, b, _ = _data((3, 4, 2, 3), np.float32, 5)
    mean = np.linspace(-1, 1, 4).astype(np.float32)
    var = np.linspace(0.5, 2, 4).astype(np.float32)
    y = norm.batch_norm_eval_forward(x, mean, var, w, b, 1e-3)
    ty = torch.nn.functional.batch_norm(torch.tensor(x), torch.tensor(mean), torch.tensor(var),
                                        torch.tensor(w), torch.tensor(b), training=False, eps=1e-3)
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-5, atol=1e-6)


def _float32_signatures(kernel):
    return [s for s in kernel.signatures if s[0].dtype == numba.float32]


def test_one_float32_specialisation_per_kernel():
    for shape in [(2, 3, 4, 5), (5, 3), (3, 2, 1, 7)]:
        x, w, b, g = _data(shape, np.float32, 0)
        x_nc = np.asfortranarray(x)  # non-contiguous layout
        w64 = w.astype(np.float64)  # wrapper casts statistics/params to x's dtype
        for xx in (x, x_nc):
            _, mean, invstd, _ = norm.batch_norm_train_forward(xx, w64, b, 1e-5)
            norm.batch_norm_backward(g[..., ::-1] if g.ndim == 4 else g, xx, w, mean, invstd)
            norm.batch_norm_eval_forward(xx, mean, invstd, w64, b, 1e-5)
    for kernel in (norm._train_forward_kernel, norm._eval_forward_kernel, norm._backward_kernel):
        assert len(_float32_signatures(kernel)) == 1, kernel.signatures


def test_nan_propagates_to_its_channel_only():
    """The kernels use fastmath without 'nnan': a NaN must still poison its own channel."""
    x, w, b, g = _data((2, 3, 2, 2), np.float32, 1)
    x[1, 1, 0, 1] = np.nan
    y, mean, invstd, var = norm.batch_norm_train_forward(x, w, b, 1e-5)
    assert np.all(np.isnan(y[:, 1])) and np.isnan(mean[1]) and np.isnan(var[1])
    assert np.all(np.isfinite(np.delete(y, 1, axis=1)))
