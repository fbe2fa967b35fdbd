"""Softmax, log-softmax and cross-entropy kernels against numpy."""
import numpy as np
import pytest

FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((4,), -1)])
def test_softmax_family(be, ref, dtype, shape, axis):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    logp = ref.log_softmax(x.astype(np.float64), axis)
    p = np.exp(logp)
    t = ref.tol(dtype)
    ls = be.log_softmax(be.from_numpy(x), axis)
    sm = be.softmax(be.from_numpy(x), axis)
    np.testing.assert_allclose(be.to_numpy(ls), logp, **t)
    np.testing.assert_allclose(be.to_numpy(sm), p, **t)
    dls = be.log_softmax_backward(be.from_numpy(g), ls, axis)
    dsm = be.softmax_backward(be.from_numpy(g), sm, axis)
    np.testing.assert_allclose(be.to_numpy(dls), g - p * g.sum(axis, keepdims=True), **t)
    np.testing.assert_allclose(be.to_numpy(dsm), p * (g - (g * p).sum(axis, keepdims=True)), **t)


def test_log_softmax_is_stable_for_large_logits(be):
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    out = be.to_numpy(be.log_softmax(be.from_numpy(x), 1))
    np.testing.assert_allclose(out, [[0.0, -1000.0, -2000.0]])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(be, ref, dtype, smoothing):
    rng = np.random.default_rng(11)
    logits = (rng.standard_normal((5, 7)) * 3).astype(dtype)
    target = rng.integers(0, 7, 5)
    loss, probs = be.cross_entropy_forward(be.from_numpy(logits), be.from_numpy(target), smoothing)
    loss_ref, probs_ref = ref.cross_entropy_forward(logits.astype(np.float64), target, smoothing)
    t = ref.tol(dtype)
    np.testing.assert_allclose(be.to_numpy(loss), loss_ref, **t)
    np.testing.assert_allclose(be.to_numpy(probs), probs_ref, **t)
    g = rng.standard_normal(5).astype(dtype)
    dx = be.cross_entropy_backward(be.from_numpy(g), probs, be.from_numpy(target), smoothing)
    want = ref.cross_entropy_backward(g.astype(np.float64), probs_ref, target, smoothing)
    np.testing.assert_allclose(be.to_numpy(dx), want, **t)


def test_cross_entropy_reference_matches_torch(ref):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logits, target = rng.standard_normal((4, 6)), rng.integers(0, 6, 4)
    t = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target),
                                          reduction="none", label_smoothing=0.2)
    np.testing.assert_allclose(ref.cross_entropy_forward(logits, target, 0.2)[0], t.numpy(),
                               rtol=1e-12)
