"""Adam and AdamW trajectories against a float64 numpy reference and against torch.optim."""
import numpy as np
import pytest

from .optim_cases import (assert_trajectories_close, make_problem, make_tensors, ref_adam,
                         run_ours, run_torch, set_grads)
from tinygrad_cnn.optim import Adam, AdamW

CONFIGS = {  # (class name, keyword arguments)
    "adam": ("Adam", {"lr": 0.05}),
    "adam_wd": ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    "adam_betas_eps": ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-3}),
    "adamw_default_wd": ("AdamW", {"lr": 0.05}),
    "adamw": ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "betas": (0.5, 0.9)}),
    "adamw_no_wd": ("AdamW", {"lr": 0.05, "weight_decay": 0.0}),
}
OURS = {"Adam": Adam, "AdamW": AdamW}


def _reference(params, grads, cls_name, cfg):
    cfg = dict(cfg)
    if cls_name == "AdamW":
        cfg.setdefault("weight_decay", 1e-2)  # AdamW's default
    return ref_adam(params, grads, decoupled=cls_name == "AdamW", **cfg)


@pytest.mark.parametrize("name", CONFIGS)
def test_adam_float64_matches_reference(name):
    cls_name, cfg = CONFIGS[name]
    params, grads = make_problem(np.float64, seed=11)
    got = run_ours(lambda ts: OURS[cls_name](ts, **cfg), params, grads)
    assert_trajectories_close(got, _reference(params, grads, cls_name, cfg),
                              rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", CONFIGS)
def test_adam_float32_matches_reference(name):
    cls_name, cfg = CONFIGS[name]
    params, grads = make_problem(np.float32, seed=12)
    got = run_ours(lambda ts: OURS[cls_name](ts, **cfg), params, grads)
    assert all(p.dtype == np.float32 for step in got for p in step)
    assert_trajectories_close(got, _reference(params, grads, cls_name, cfg),
                              rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CONFIGS)
def test_adam_matches_torch(name):
    torch = pytest.importorskip("torch")
    cls_name, cfg = CONFIGS[name]
    params, grads = make_problem(np.float32, seed=13)
    got = run_ours(lambda ts: OURS[cls_name](ts, **cfg), params, grads)
    want = run_torch(torch, lambda ts: getattr(torch.optim, cls_name)(ts, **cfg), params, grads)
    assert_trajectories_close(got, want, rtol=1e-6, atol=1e-7)


def test_adamw_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    params, grads = make_problem(np.float32, seed=14)

    def groups(ts):
        return [{"params": ts[:1], "weight_decay": 0.0}, {"params": ts[1:], "lr": 0.01}]

    got = run_ours(lambda ts: AdamW(groups(ts), lr=0.05, weight_decay=0.1), params, grads)
    want = run_torch(torch, lambda ts: torch.optim.AdamW(groups(ts), lr=0.05, weight_decay=0.1),
                     params, grads)
    assert_trajectories_close(got, want, rtol=1e-6, atol=1e-7)


def test_step_counts_per_parameter():
    """A parameter without a gradient neither steps nor advances its bias correction."""
    params, grads = make_problem(np.float32, seed=15)
    ts = make_tensors(params)
    opt = Adam(ts, lr=0.01)
    for k in range(3):
        set_grads(ts, grads[k])
        opt.step()
    assert [opt.state[t]["step"] for t in ts] == [3, 2, 3]  # parameter 1 skipped step 2
    assert all(isinstance(opt.state[t]["step"], int) for t in ts)


def test_first_step_moves_by_lr():
    """Adam's first step is lr * sign(grad) (up to eps), whatever the gradient's scale."""
    w = make_tensors([np.zeros(4)])[0]
    opt = Adam([w], lr=0.1)
    set_grads([w], [np.array([1e-3, -2.0, 50.0, -1e4])])
    opt.step()
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1, -0.1, 0.1], rtol=1e-4)
