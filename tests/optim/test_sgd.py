"""SGD trajectories against a float64 numpy reference and against torch.optim.SGD."""
import numpy as np
import pytest

from .optim_cases import (assert_trajectories_close, make_problem, make_tensors, ref_sgd,
                         run_ours, run_torch, set_grads)
from tinygrad_cnn.optim import SGD

LR = 0.1
CONFIGS = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "dampening": {"momentum": 0.9, "dampening": 0.3},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "weight_decay": {"weight_decay": 0.05},
    "all": {"momentum": 0.8, "dampening": 0.1, "weight_decay": 0.05},
    "nesterov_wd": {"momentum": 0.7, "nesterov": True, "weight_decay": 0.01},
}


@pytest.mark.parametrize("name", CONFIGS)
def test_sgd_float64_matches_reference(name):
    cfg = CONFIGS[name]
    params, grads = make_problem(np.float64, seed=1)
    got = run_ours(lambda ts: SGD(ts, lr=LR, **cfg), params, grads)
    assert_trajectories_close(got, ref_sgd(params, grads, LR, **cfg), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", CONFIGS)
def test_sgd_float32_matches_reference(name):
    cfg = CONFIGS[name]
    params, grads = make_problem(np.float32, seed=2)
    got = run_ours(lambda ts: SGD(ts, lr=LR, **cfg), params, grads)
    assert all(p.dtype == np.float32 for step in got for p in step)
    assert_trajectories_close(got, ref_sgd(params, grads, LR, **cfg), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CONFIGS)
def test_sgd_matches_torch(name):
    torch = pytest.importorskip("torch")
    cfg = CONFIGS[name]
    params, grads = make_problem(np.float32, seed=3)
    got = run_ours(lambda ts: SGD(ts, lr=LR, **cfg), params, grads)
    want = run_torch(torch, lambda ts: torch.optim.SGD(ts, lr=LR, **cfg), params, grads)
    assert_trajectories_close(got, want, rtol=1e-6, atol=1e-7)


def test_sgd_param_groups_match_torch():
    """Per-group hyper-parameters override the defaults, as in torch."""
    torch = pytest.importorskip("torch")
    params, grads = make_problem(np.float32, seed=4)

    def groups(ts):
        return [{"params": ts[:2]}, {"params": ts[2:], "lr": 0.02, "momentum": 0.5}]

    got = run_ours(lambda ts: SGD(groups(ts), lr=LR, momentum=0.9), params, grads)
    want = run_torch(torch, lambda ts: torch.optim.SGD(groups(ts), lr=LR, momentum=0.9),
                     params, grads)
    assert_trajectories_close(got, want, rtol=1e-6, atol=1e-7)


def test_lr_change_between_steps_is_used():
    """A schedule changes group["lr"]; the next step must use the new value."""
    params, grads = make_problem(np.float64, seed=5)
    ts = make_tensors(params)
    opt = SGD(ts, lr=0.1)
    set_grads(ts, grads[0])
    opt.step()
    opt.param_groups[0]["lr"] = 0.01
    set_grads(ts, grads[1])
    opt.step()
    want = params[0] - 0.1 * grads[0][0] - 0.01 * grads[1][0]
    np.testing.assert_allclose(ts[0].numpy(), want, rtol=1e-14)


def test_momentum_state_only_when_needed():
    params, grads = make_problem(np.float32, seed=6)
    ts = make_tensors(params)
    plain, mom = SGD(ts[:1], lr=LR), SGD(ts[1:], lr=LR, momentum=0.9)
    set_grads(ts, grads[0])
    plain.step()
    mom.step()
    assert plain.state_dict()["state"] == {}
    assert sorted(mom.state_dict()["state"]) == [0, 1]
    buf = mom.state[ts[1]]["momentum_buffer"]
    np.testing.assert_array_equal(buf, grads[0][1])  # first step: buffer = gradient
    assert buf.dtype == np.float32 and buf is not ts[1].grad._array
