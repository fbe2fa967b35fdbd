"""SGD and Adam/AdamW steps against the reference backend's float64 trajectories and
torch.optim's."""
import numba
import numpy as np
import pytest

from tinygrad_cnn.backends.cpu import optim

STEPS = 5
SGD_CONFIGS = [  # momentum, dampening, weight_decay, nesterov
    (0.0, 0.0, 0.0, False),
    (0.0, 0.0, 0.01, False),
    (0.9, 0.0, 0.0, False),
    (0.9, 0.3, 0.05, False),
    (0.8, 0.0, 0.01, True),
]
ADAM_CONFIGS = [(0.0, False), (0.1, False), (0.1, True), (0.0, True)]  # weight_decay, decoupled
SHAPE = (4, 3, 2)  # parameters of any shape update through flat views


def _problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    param = rng.standard_normal(SHAPE).astype(dtype)
    grads = [rng.standard_normal(SHAPE).astype(dtype) for _ in range(STEPS)]
    return param, grads


def run_sgd(param, grads, lr, momentum, dampening, wd, nesterov, backend=optim):
    """The parameter after one ``sgd_step`` per gradient (the reference backend on float64
    copies gives the exact float64 trajectory)."""
    p = param.copy()
    buf = np.zeros_like(p)
    for k, g in enumerate(grads):
        assert backend.sgd_step(p, g, buf, lr, momentum, dampening, wd, nesterov, k == 0) is None
    return p


def run_adam(param, grads, lr, b1, b2, eps, wd, decoupled, backend=optim):
    p = param.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    for step, g in enumerate(grads, start=1):
        backend.adam_step(p, g, m, v, step, lr, b1, b2, eps, wd, decoupled)
    return p


def ref_sgd(ref, param, grads, *args):
    return run_sgd(param.astype(np.float64), [g.astype(np.float64) for g in grads], *args,
                   backend=ref)


def ref_adam(ref, param, grads, *args):
    return run_adam(param.astype(np.float64), [g.astype(np.float64) for g in grads], *args,
                    backend=ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", SGD_CONFIGS)
def test_sgd_matches_reference(ref, cfg, dtype):
    param, grads = _problem(dtype)
    got = run_sgd(param, grads, 0.1, *cfg)
    assert got.dtype == dtype and got.shape == SHAPE
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(got, ref_sgd(ref, param, grads, 0.1, *cfg), **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", ADAM_CONFIGS)
def test_adam_matches_reference(ref, cfg, dtype):
    param, grads = _problem(dtype, 1)
    got = run_adam(param, grads, 1e-2, 0.9, 0.999, 1e-8, *cfg)
    assert got.dtype == dtype and got.shape == SHAPE
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got, ref_adam(ref, param, grads, 1e-2, 0.9, 0.999, 1e-8, *cfg), **tol)


def test_sgd_first_step_sets_buffer_without_dampening():
    p = np.zeros(3)
    buf = np.full(3, 123.0)  # stale contents must be overwritten on the first step
    optim.sgd_step(p, np.array([1.0, 2.0, 3.0]), buf, 1.0, 0.9, 0.5, 0.0, False, True)
    np.testing.assert_array_equal(buf, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(p, [-1.0, -2.0, -3.0])
    optim.sgd_step(p, np.array([1.0, 1.0, 1.0]), buf, 1.0, 0.9, 0.5, 0.0, False, False)
    np.testing.assert_allclose(buf, [1.4, 2.3, 3.2])


def test_updates_in_place_and_accepts_other_grad_layouts():
    p = np.ones((3, 4), np.float32)
    m, v, ident = np.zeros_like(p), np.zeros_like(p), id(p)
    g = np.arange(24, dtype=np.float64).reshape(4, 6)[:, ::2].T  # non-contiguous float64
    optim.adam_step(p, g, m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    assert id(p) == ident and p.shape == (3, 4)
    assert np.all(p <= 1.0) and np.any(p < 1.0) and np.any(m != 0) and np.any(v != 0)
    optim.sgd_step(p, g, None, 0.1, 0.0, 0.0, 0.0, False, True)  # no buffer without momentum


def test_rejects_state_it_cannot_update_in_place():
    p = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError):
        optim.sgd_step(p.T, np.ones((4, 4)), np.zeros((4, 4), np.float32), 0.1, 0.9, 0, 0, False, True)
    with pytest.raises(ValueError):
        optim.adam_step(p, np.ones((4, 4)), np.zeros((4, 4)), np.zeros((4, 4), np.float32), 1,
                        0.1, 0.9, 0.999, 1e-8, 0.0, False)


def _torch_trajectory(torch, make_opt, param, grads):
    tp = torch.nn.Parameter(torch.tensor(param))
    opt = make_opt([tp])
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
    return tp.detach().numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", SGD_CONFIGS)
def test_sgd_matches_torch(cfg, dtype):
    torch = pytest.importorskip("torch")
    momentum, dampening, wd, nesterov = cfg
    param, grads = _problem(dtype, 2)
    want = _torch_trajectory(torch, lambda ps: torch.optim.SGD(
        ps, lr=0.05, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov,
        foreach=False), param, grads)
    got = run_sgd(param, grads, 0.05, *cfg)
    tol = dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(got, want, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", ADAM_CONFIGS)
def test_adam_matches_torch(cfg, dtype):
    torch = pytest.importorskip("torch")
    wd, decoupled = cfg
    param, grads = _problem(dtype, 3)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    want = _torch_trajectory(torch, lambda ps: cls(ps, lr=3e-3, betas=(0.8, 0.99), eps=1e-6,
                                                   weight_decay=wd, foreach=False), param, grads)
    got = run_adam(param, grads, 3e-3, 0.8, 0.99, 1e-6, wd, decoupled)
    tol = dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(got, want, **tol)


def test_one_float32_specialisation_per_kernel():
    for shape in [(5,), (3, 4), (2, 3, 4, 5)]:
        param, grads = np.ones(shape, np.float32), np.ones(shape, np.float64)
        buf = np.zeros_like(param)
        optim.sgd_step(param, grads, buf, 1, 0.9, 0, 0, True, True)  # ints for floats
        optim.sgd_step(param, grads, None, 0.1, 0.0, 0.0, 0.0, False, False)
        m, v = np.zeros_like(param), np.zeros_like(param)
        optim.adam_step(param, grads.T, m, v, np.int64(2), 1e-3, 0.9, 0.999, 1e-8, 0, 1)
    for kernel in (optim._sgd_kernel, optim._adam_kernel):
        sigs = [s for s in kernel.signatures if s[0].dtype == numba.float32]
        assert len(sigs) == 1, kernel.signatures
