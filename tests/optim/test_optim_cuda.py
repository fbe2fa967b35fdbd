"""The optimizers on CUDA parameters follow the CPU trajectory, and state moves across devices.

Marked ``cuda``: CI runs these in the simulator process (``NUMBA_ENABLE_CUDASIM=1 pytest -m
cuda``) and on a GPU when there is one; elsewhere they skip.
"""
import numpy as np
import pytest

from tinygrad_cnn import Tensor
from tinygrad_cnn.optim import SGD, Adam, AdamW, RMSprop

from .optim_cases import STEPS, make_problem

pytestmark = pytest.mark.cuda

FACTORIES = {
    "sgd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01),
    "sgd_nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.05, weight_decay=0.1),
    "adamw": lambda ps: AdamW(ps, lr=0.05, betas=(0.8, 0.99)),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
}


def _run(make_opt, params, grads, device, steps=range(STEPS), state=None):
    """Parameters after ``steps`` on ``device``, and the optimizer's final state dict."""
    ts = [Tensor(p, requires_grad=True, dtype=p.dtype, device=device) for p in params]
    opt = make_opt(ts)
    if state is not None:
        opt.load_state_dict(state)
    for k in steps:
        for t, g in zip(ts, grads[k]):
            t.grad = None if g is None else Tensor(g, dtype=g.dtype, device=device)
        opt.step()
    assert all(t.device == device for t in ts)
    return [t.numpy() for t in ts], opt.state_dict()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FACTORIES)
def test_cuda_trajectory_matches_cpu(name, dtype):
    params, grads = make_problem(dtype, seed=31)
    want, _ = _run(FACTORIES[name], params, grads, "cpu")
    got, _ = _run(FACTORIES[name], params, grads, "cuda")
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", FACTORIES)
def test_state_moves_between_devices(name):
    """Save on CUDA after 3 steps, continue on the CPU (and the reverse) == 6 steps on one."""
    params, grads = make_problem(np.float32, seed=32)
    want, _ = _run(FACTORIES[name], params, grads, "cpu")
    for first, second in (("cuda", "cpu"), ("cpu", "cuda")):
        mid, state = _run(FACTORIES[name], params, grads, first, steps=range(3))
        assert all(isinstance(v, np.ndarray) for e in state["state"].values()
                   for k, v in e.items() if k != "step")
        got, _ = _run(FACTORIES[name], mid, grads, second, steps=range(3, STEPS), state=state)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def test_zero_grad_on_cuda():
    w = Tensor(np.ones((2, 3)), requires_grad=True, device="cuda")
    opt = SGD([w], lr=0.1)
    w.grad = Tensor(np.ones((2, 3)), device="cuda")
    opt.zero_grad(set_to_none=False)
    assert w.grad.device == "cuda" and not w.grad.numpy().any()
    opt.zero_grad()
    assert w.grad is None
