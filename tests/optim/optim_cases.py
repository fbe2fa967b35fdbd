"""Shared optimizer test problems: parameters, fixed random gradients and runners.

Parameter 1 has no gradient at step 2, so every trajectory also checks that such parameters
are skipped (their state untouched). References are float64 numpy re-statements of the
update rules, written independently of the kernels.
"""
from __future__ import annotations

import numpy as np

from tinygrad_cnn import Tensor

SHAPES = [(3, 4), (5,), (2, 1, 3)]
STEPS = 6
SKIP = (1, 2)  # (parameter, step) with grad None


def make_problem(dtype=np.float32, seed=0):
    """Initial parameters and, per step, one gradient (or None) per parameter."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[None if (i, k) == SKIP else rng.standard_normal(s).astype(dtype)
              for i, s in enumerate(SHAPES)] for k in range(STEPS)]
    return params, grads


def make_tensors(params):
    """Leaf tensors holding private copies (the CPU backend does not copy contiguous data)."""
    return [Tensor(p.copy(), requires_grad=True, dtype=p.dtype) for p in params]


def set_grads(tensors, grads):
    for t, g in zip(tensors, grads):
        t.grad = None if g is None else Tensor(g.copy(), dtype=g.dtype)


def run_ours(make_opt, params, grads, steps=range(STEPS)):
    """Trajectory (list over steps of lists of arrays) of our optimizer ``make_opt(tensors)``."""
    tensors = make_tensors(params)
    opt = make_opt(tensors)
    out = []
    for k in steps:
        set_grads(tensors, grads[k])
        opt.step()
        out.append([t.numpy().copy() for t in tensors])
    return out


def run_torch(torch, make_opt, params, grads):
    """The same trajectory with ``make_opt(torch_tensors)`` from torch.optim."""
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt = make_opt(tensors)
    out = []
    for k in range(STEPS):
        for t, g in zip(tensors, grads[k]):
            t.grad = None if g is None else torch.tensor(g.copy())
        opt.step()
        out.append([t.detach().numpy().copy() for t in tensors])
    return out


def ref_sgd(params, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False, lrs=None):
    """float64 SGD trajectory; ``lrs`` gives one learning rate per parameter if set."""
    ps = [p.astype(np.float64) for p in params]
    bufs = [None] * len(ps)
    out = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if g is None:
                continue
            d = g.astype(np.float64) + weight_decay * ps[i]
            if momentum != 0:
                bufs[i] = d.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * d
                d = d + momentum * bufs[i] if nesterov else bufs[i]
            ps[i] = ps[i] - (lr if lrs is None else lrs[i]) * d
        out.append([p.copy() for p in ps])
    return out


def ref_adam(params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             decoupled=False):
    """float64 Adam (or AdamW with ``decoupled``) trajectory, textbook form."""
    b1, b2 = betas
    ps = [p.astype(np.float64) for p in params]
    ms = [np.zeros_like(p) for p in ps]
    vs = [np.zeros_like(p) for p in ps]
    ts = [0] * len(ps)
    out = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if g is None:
                continue
            g = g.astype(np.float64)
            ts[i] += 1
            if decoupled:
                ps[i] = ps[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * ps[i]
            ms[i] = b1 * ms[i] + (1 - b1) * g
            vs[i] = b2 * vs[i] + (1 - b2) * g * g
            m_hat = ms[i] / (1 - b1 ** ts[i])
            v_hat = vs[i] / (1 - b2 ** ts[i])
            ps[i] = ps[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append([p.copy() for p in ps])
    return out


def assert_trajectories_close(got, want, rtol, atol):
    assert len(got) == len(want)
    for k, (g_step, w_step) in enumerate(zip(got, want)):
        for i, (g, w) in enumerate(zip(g_step, w_step)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol,
                                       err_msg=f"step {k + 1}, parameter {i}")
