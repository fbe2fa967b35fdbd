"""In-place SGD and Adam/AdamW updates against the reference backend (PyTorch's rules in numpy)."""
import numpy as np
import pytest

FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("momentum,dampening,wd,nesterov", [
    (0.0, 0.0, 0.0, False), (0.9, 0.0, 1e-2, False), (0.9, 0.1, 0.0, False),
    (0.8, 0.0, 1e-3, True)])
def test_sgd_three_steps(be, ref, dtype, momentum, dampening, wd, nesterov):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((3, 7)).astype(dtype)
    buf = np.zeros_like(p)
    dp, dbuf = be.from_numpy(p), be.from_numpy(buf)
    for step in range(3):
        g = rng.standard_normal(p.shape).astype(dtype)
        be.sgd_step(dp, be.from_numpy(g), dbuf, 0.1, momentum, dampening, wd, nesterov, step == 0)
        p, buf = p.astype(np.float64), buf.astype(np.float64)
        ref.sgd_step(p, g, buf, 0.1, momentum, dampening, wd, nesterov, step == 0)
    np.testing.assert_allclose(be.to_numpy(dp), p, **ref.tol(dtype))
    if momentum:
        np.testing.assert_allclose(be.to_numpy(dbuf), buf, **ref.tol(dtype))
    assert be.to_numpy(dp).dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("wd,decoupled", [(0.0, False), (0.1, False), (0.1, True)])
def test_adam_three_steps(be, ref, dtype, wd, decoupled):
    rng = np.random.default_rng(1)
    p = rng.standard_normal(11).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    dp, dm, dv = be.from_numpy(p), be.from_numpy(m), be.from_numpy(v)
    for step in range(1, 4):
        g = rng.standard_normal(p.shape).astype(dtype)
        be.adam_step(dp, be.from_numpy(g), dm, dv, step, 1e-2, 0.9, 0.999, 1e-8, wd, decoupled)
        p, m, v = (a.astype(np.float64) for a in (p, m, v))
        ref.adam_step(p, g, m, v, step, 1e-2, 0.9, 0.999, 1e-8, wd, decoupled)
    t = ref.tol(dtype)
    for got, want in ((dp, p), (dm, m), (dv, v)):
        np.testing.assert_allclose(be.to_numpy(got), want, rtol=t["rtol"] * 10, atol=t["atol"] * 10)


def test_references_match_torch(ref):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    p0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(3)]
    for make, mine in (
        (lambda t: torch.optim.SGD([t], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01,
                                   nesterov=False), "sgd"),
        (lambda t: torch.optim.AdamW([t], lr=0.01, weight_decay=0.1), "adamw"),
    ):
        t = torch.tensor(p0, requires_grad=True)
        opt = make(t)
        p, buf, m, v = p0.copy(), np.zeros(5), np.zeros(5), np.zeros(5)
        for step, g in enumerate(grads, 1):
            t.grad = torch.tensor(g)
            opt.step()
            if mine == "sgd":
                ref.sgd_step(p, g, buf, 0.1, 0.9, 0.1, 0.01, False, step == 1)
            else:
                ref.adam_step(p, g, m, v, step, 0.01, 0.9, 0.999, 1e-8, 0.1, True)
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12)
