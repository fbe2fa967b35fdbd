"""RMSprop trajectories against torch.optim.RMSprop (float64 and float32), state and errors."""
import numpy as np
import pytest
import torch

from .optim_cases import (assert_trajectories_close, make_problem, make_tensors, run_ours,
                          run_torch, set_grads)
from tinygrad_cnn.optim import RMSprop

CONFIGS = {
    "plain": {"lr": 0.01},
    "alpha_eps": {"lr": 0.02, "alpha": 0.9, "eps": 1e-3},
    "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
    "momentum": {"lr": 0.01, "momentum": 0.9},
    "centered": {"lr": 0.01, "centered": True},
    "everything": {"lr": 0.005, "alpha": 0.8, "eps": 1e-6, "weight_decay": 0.05,
                   "momentum": 0.5, "centered": True},
}


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-12, 1e-13),
                                               (np.float32, 1e-5, 1e-6)])
@pytest.mark.parametrize("name", CONFIGS)
def test_matches_torch_trajectory(name, dtype, rtol, atol):
    cfg = CONFIGS[name]
    params, grads = make_problem(dtype, seed=31)
    got = run_ours(lambda ts: RMSprop(ts, **cfg), params, grads)
    want = run_torch(torch, lambda ts: torch.optim.RMSprop(ts, **cfg), params, grads)
    assert_trajectories_close(got, want, rtol=rtol, atol=atol)


def test_state_dict_round_trip_continues_the_trajectory():
    cfg = CONFIGS["everything"]
    params, grads = make_problem(np.float64, seed=32)
    ts = make_tensors(params)
    opt = RMSprop(ts, **cfg)
    for k in range(3):
        set_grads(ts, grads[k])
        opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"][0]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]
    resumed = make_tensors([t.numpy() for t in ts])
    opt2 = RMSprop(resumed, **cfg)
    opt2.load_state_dict(sd)
    for k in range(3, 6):
        set_grads(ts, grads[k])
        set_grads(resumed, grads[k])
        opt.step()
        opt2.step()
    for a, b in zip(ts, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_update_is_in_place():
    params, grads = make_problem(np.float32, seed=33)
    ts = make_tensors(params)
    arrays = [t._array for t in ts]
    opt = RMSprop(ts)
    set_grads(ts, grads[0])
    opt.step()
    assert all(t._array is a for t, a in zip(ts, arrays))


@pytest.mark.parametrize("kwargs, message", [({"lr": -1}, "Invalid learning rate"),
                                             ({"alpha": -0.5}, "Invalid alpha value"),
                                             ({"momentum": -1}, "Invalid momentum value"),
                                             ({"eps": -1}, "Invalid epsilon value")])
def test_bad_hyper_parameters(kwargs, message):
    params, _ = make_problem(np.float32)
    with pytest.raises(ValueError, match=message):
        RMSprop(make_tensors(params), **kwargs)
