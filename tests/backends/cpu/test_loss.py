"""Softmax, log-softmax and cross-entropy kernels against the float64 reference backend and
PyTorch."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import reference
from tinygrad_cnn.backends.cpu import loss

DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=1e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


@st.composite
def shape_and_axis(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


def ref_log_softmax(x, axis):
    return reference.log_softmax(x.astype(np.float64), axis)


def ref_cross_entropy(logits, target, ls):
    return reference.cross_entropy_forward(logits.astype(np.float64), target, ls)[0]


def _rand(shape, dtype, seed, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(sa=shape_and_axis(), dtype=DTYPES, seed=st.integers(0, 2**16))
def test_forward_and_backward_match_reference(sa, dtype, seed):
    shape, axis = sa
    x = _rand(shape, dtype, seed)
    g = _rand(shape, dtype, seed + 1, 1.0)
    lsm = loss.log_softmax(x, axis)
    sm = loss.softmax(x, axis)
    want = ref_log_softmax(x, axis)
    for out in (lsm, sm):
        assert out.shape == shape and out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(lsm, want, **TOL[dtype])
    np.testing.assert_allclose(sm, np.exp(want), **TOL[dtype])
    o64, s64, g64 = lsm.astype(np.float64), sm.astype(np.float64), g.astype(np.float64)
    np.testing.assert_allclose(loss.log_softmax_backward(g, lsm, axis),
                               reference.log_softmax_backward(g64, o64, axis), **TOL[dtype])
    np.testing.assert_allclose(loss.softmax_backward(g, sm, axis),
                               reference.softmax_backward(g64, s64, axis), **TOL[dtype])


@pytest.mark.parametrize("fn,bwd", [("log_softmax", "log_softmax_backward"),
                                    ("softmax", "softmax_backward")])
def test_backward_matches_finite_differences(fn, bwd):
    f, df = getattr(loss, fn), getattr(loss, bwd)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3))
    g = rng.standard_normal(x.shape)
    v = rng.standard_normal(x.shape)
    h = 1e-6
    numeric = (np.sum(g * f(x + h * v, 1)) - np.sum(g * f(x - h * v, 1))) / (2 * h)
    analytic = np.sum(df(g, f(x, 1), 1) * v)
    assert numeric == pytest.approx(analytic, rel=1e-6, abs=1e-9)


def test_stable_for_huge_logits():
    x = np.array([[1e4, 0.0, -1e4], [1e30, 1e30, 1e30]], np.float32)
    lsm = loss.log_softmax(x, 1)
    assert np.all(np.isfinite(lsm))
    np.testing.assert_allclose(lsm[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(loss.softmax(x, 1)[1], [1 / 3] * 3, rtol=1e-6)
    ce, probs = loss.cross_entropy_forward(x, np.array([2, 0]), 0.1)
    assert np.all(np.isfinite(ce)) and np.all(np.isfinite(probs))


@settings(deadline=None)  # example count: the tgcnn profile (tests/conftest.py)
@given(n=st.integers(1, 6), c=st.integers(1, 7), dtype=DTYPES, seed=st.integers(0, 2**16),
       ls=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_cross_entropy_matches_reference(n, c, dtype, seed, ls):
    x = _rand((n, c), dtype, seed)
    t = np.random.default_rng(seed).integers(0, c, n)
    got, probs = loss.cross_entropy_forward(x, t, ls)
    assert got.shape == (n,) and got.dtype == dtype and probs.dtype == dtype
    np.testing.assert_allclose(got, ref_cross_entropy(x, t, ls), **TOL[dtype])
    np.testing.assert_allclose(probs, np.exp(ref_log_softmax(x, 1)), **TOL[dtype])
    gl = _rand(n, dtype, seed + 2, 1.0)
    onehot = np.eye(c)[t]
    want = (probs.astype(np.float64) - ((1 - ls) * onehot + ls / c)) * gl[:, None]
    dx = loss.cross_entropy_backward(gl, probs, t, ls)
    assert dx.shape == (n, c) and dx.dtype == dtype
    np.testing.assert_allclose(dx, want, **TOL[dtype])


@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_gradient_matches_finite_differences(ls):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 6))
    t = np.array([0, 5, 2, 2])
    gl = rng.standard_normal(4)
    v = rng.standard_normal(x.shape)
    h = 1e-6

    def f(xx):
        return float(np.sum(gl * loss.cross_entropy_forward(xx, t, ls)[0]))

    numeric = (f(x + h * v) - f(x - h * v)) / (2 * h)
    probs = loss.cross_entropy_forward(x, t, ls)[1]
    analytic = np.sum(loss.cross_entropy_backward(gl, probs, t, ls) * v)
    assert numeric == pytest.approx(analytic, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("axis", [1, -1, 0])
def test_softmaxes_match_torch_autograd(axis):
    torch = pytest.importorskip("torch")
    x = _rand((3, 4, 5), np.float32, 8)
    g = _rand((3, 4, 5), np.float32, 9, 1.0)
    for fn, bwd, tfn in ((loss.log_softmax, loss.log_softmax_backward, torch.log_softmax),
                         (loss.softmax, loss.softmax_backward, torch.softmax)):
        tx = torch.tensor(x, requires_grad=True)
        ty = tfn(tx, axis)
        ty.backward(torch.tensor(g))
        out = fn(x, axis)
        np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bwd(g, out, axis), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ls", [0.0, 0.1, 0.7])
def test_cross_entropy_matches_torch(ls):
    torch = pytest.importorskip("torch")
    x = _rand((6, 10), np.float32, 12)
    t = np.random.default_rng(12).integers(0, 10, 6)
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), reduction="mean",
                                           label_smoothing=ls)
    tl.backward()
    per_sample, probs = loss.cross_entropy_forward(x, t, ls)
    np.testing.assert_allclose(per_sample.mean(), tl.item(), rtol=1e-6)
    grad_loss = np.full(6, 1 / 6, np.float32)  # the mean reduction's upstream gradient
    dx = loss.cross_entropy_backward(grad_loss, probs, t, ls)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def _float32_signatures(kernel):
    return [s for s in kernel.signatures if s[0].dtype == numba.float32]


def test_one_float32_specialisation_per_kernel():
    for shape, axis in [((2, 3, 4, 5), 1), ((7,), 0), ((4, 6), -1)]:
        x = _rand(shape, np.float32, 0)
        x_nc = np.asfortranarray(x)[..., ::-1] if x.ndim > 1 else x[::-1]
        for xx in (x, x_nc):
            out = loss.log_softmax(xx, axis)
            loss.log_softmax_backward(xx, out, axis)
            out = loss.softmax(xx, axis)
            loss.softmax_backward(xx, out, axis)
    for x in (_rand((3, 5), np.float32, 1), _rand((5, 3), np.float32, 2).T):
        t = np.array([0, 4, 1], np.int32)  # wrapper casts targets to int64
        ce, probs = loss.cross_entropy_forward(x, t, 0.1)
        loss.cross_entropy_backward(ce.astype(np.float64), probs, t, 0)
    for kernel in (loss._log_softmax_kernel, loss._softmax_kernel, loss._log_softmax_backward_kernel,
                   loss._softmax_backward_kernel, loss._cross_entropy_forward_kernel,
                   loss._cross_entropy_backward_kernel):
        assert len(_float32_signatures(kernel)) == 1, kernel.signatures


def test_nan_propagates():
    """The kernels use fastmath without 'nnan': a NaN must still poison its own line."""
    x = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]], np.float32)
    for out in (loss.log_softmax(x, 1), loss.softmax(x, 1), loss.cross_entropy_forward(x, [0, 0], 0.1)[1]):
        assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))
