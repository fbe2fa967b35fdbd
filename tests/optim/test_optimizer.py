"""Optimizer conventions: param groups, zero_grad, skipping, state_dict round trips, errors."""
import copy
import io
import json

import numpy as np
import pytest

from .optim_cases import STEPS, make_problem, make_tensors, run_ours, set_grads
from tinygrad_cnn import Tensor
from tinygrad_cnn.optim import SGD, Adam, AdamW, RMSprop

FACTORIES = {
    "sgd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov_groups": lambda ps: SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}],
                                          lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.05, weight_decay=0.1),
    "adamw_groups": lambda ps: AdamW([{"params": ps[:2], "betas": (0.8, 0.9)},
                                      {"params": ps[2:]}], lr=0.05),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
}


# ---- state dict ----
def _through_hdf5(sd):
    """Store a state dict the way a checkpoint would (JSON attrs + HDF5 datasets), read it back."""
    h5py = pytest.importorskip("h5py")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["param_groups"] = json.dumps(sd["param_groups"])
        for idx, entries in sd["state"].items():
            for key, value in entries.items():
                f.create_dataset(f"state/{idx}/{key}", data=value)
    with h5py.File(buf, "r") as f:
        groups = json.loads(f.attrs["param_groups"])
        state = {idx: {k: ds[()] for k, ds in entry.items()}
                 for idx, entry in f.get("state", {}).items()}  # keys come back as str
    return {"param_groups": groups, "state": state}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("storage", ["memory", "hdf5"])
@pytest.mark.parametrize("name", FACTORIES)
def test_state_dict_round_trip_continues_trajectory(name, storage, dtype):
    """Save after 3 steps, load into a fresh optimizer, run 3 more == 6 uninterrupted."""
    make_opt = FACTORIES[name]
    params, grads = make_problem(dtype, seed=21)
    full = run_ours(make_opt, params, grads)

    ts = make_tensors(params)
    opt = make_opt(ts)
    for k in range(3):
        set_grads(ts, grads[k])
        opt.step()
    sd = opt.state_dict()
    json.dumps(sd["param_groups"])  # hyper-parameters are plain JSON
    sd = copy.deepcopy(sd) if storage == "memory" else _through_hdf5(sd)

    fresh_ts = make_tensors([t.numpy() for t in ts])
    fresh = make_opt(fresh_ts)
    for g in fresh.param_groups:  # loading must restore the hyper-parameters too
        g["lr"] = 123.0
    fresh.load_state_dict(sd)
    for k in range(3, STEPS):
        set_grads(fresh_ts, grads[k])
        fresh.step()
    for t, want in zip(fresh_ts, full[-1]):
        np.testing.assert_array_equal(t.numpy(), want)
        assert t.dtype == dtype
    assert fresh.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_state_dict_layout_is_plain():
    params, grads = make_problem(np.float32, seed=22)
    ts = make_tensors(params)
    opt = AdamW([{"params": ts[:1]}, {"params": ts[1:], "lr": 0.01}], lr=0.05)
    set_grads(ts, grads[0])
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sd["param_groups"][1] == {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                                     "weight_decay": 1e-2, "params": [1, 2]}
    assert sorted(sd["state"]) == [0, 1, 2]
    entry = sd["state"][1]
    assert sorted(entry) == ["exp_avg", "exp_avg_sq", "step"]
    assert type(entry["step"]) is int and entry["step"] == 1
    assert isinstance(entry["exp_avg"], np.ndarray) and entry["exp_avg"].shape == (5,)
    assert entry["exp_avg"].dtype == np.float32
    # a snapshot, not a view of the live state
    before = entry["exp_avg"].copy()
    set_grads(ts, grads[1])
    opt.step()
    np.testing.assert_array_equal(entry["exp_avg"], before)
    # loaded arrays are copies too: a later step must not write into the caller's dict
    sd2 = opt.state_dict()
    saved = sd2["state"][0]["exp_avg"].copy()
    opt.load_state_dict(sd2)
    set_grads(ts, grads[2])
    opt.step()
    np.testing.assert_array_equal(sd2["state"][0]["exp_avg"], saved)


def test_load_restores_tuple_betas_and_python_scalars():
    ts = make_tensors(make_problem(np.float64)[0])
    opt = Adam(ts, lr=0.01)
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = np.float64(0.5)
    sd["param_groups"][0]["betas"] = np.array([0.8, 0.95])
    opt.load_state_dict(sd)
    group = opt.param_groups[0]
    assert group["betas"] == (0.8, 0.95) and type(group["lr"]) is float
    assert group["params"][0] is ts[0]


def test_load_state_dict_errors():
    params, grads = make_problem(np.float32, seed=23)
    ts = make_tensors(params)
    opt = SGD(ts, lr=0.1, momentum=0.9)
    set_grads(ts, grads[0])
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        opt.load_state_dict({"param_groups": sd["param_groups"] * 2, "state": {}})
    with pytest.raises(ValueError, match="group 0 has 3 parameters, the optimizer's has 2"):
        SGD(make_tensors(params[:2]), lr=0.1).load_state_dict(sd)
    bad = copy.deepcopy(sd)
    bad["state"][0]["momentum_buffer"] = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"momentum_buffer of shape \(4, 3\) for a parameter "
                                         r"of shape \(3, 4\)"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(sd)
    bad["state"][7] = bad["state"][0]
    with pytest.raises(ValueError, match="parameter index 7"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        opt.load_state_dict(bad)


# ---- stepping ----
def test_zero_grad():
    params, grads = make_problem(np.float32, seed=24)
    ts = make_tensors(params)
    opt = Adam(ts)
    set_grads(ts, grads[2])  # parameter 1 has no gradient at this step
    opt.zero_grad(set_to_none=False)
    assert ts[1].grad is None
    for t in (ts[0], ts[2]):
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
        assert not t.grad.numpy().any()
    opt.zero_grad()
    assert all(t.grad is None for t in ts)


def test_params_without_grad_are_skipped():
    params, grads = make_problem(np.float32, seed=25)
    ts = make_tensors(params)
    opt = SGD(ts, lr=0.1, momentum=0.9)
    set_grads(ts, [grads[0][0], None, None])
    opt.step()
    np.testing.assert_array_equal(ts[1].numpy(), params[1])
    np.testing.assert_array_equal(ts[2].numpy(), params[2])
    assert ts[1] not in opt.state or not opt.state[ts[1]]


def test_update_is_in_place():
    """Modules and graphs hold the parameter's array: the step must update that array."""
    params, grads = make_problem(np.float64, seed=26)
    for make_opt in FACTORIES.values():
        ts = make_tensors(params)
        arrays = [t._array for t in ts]
        opt = make_opt(ts)
        set_grads(ts, grads[0])
        opt.step()
        assert all(t._array is a for t, a in zip(ts, arrays))
        assert not np.array_equal(arrays[0], params[0])


def test_grad_of_other_dtype_is_cast():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = SGD([w], lr=0.5)
    w.grad = Tensor(np.full(3, 2.0), dtype=np.float64)
    opt.step()
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0, 0.0])


def test_step_closure_runs_with_grad_and_returns_loss():
    from tinygrad_cnn import no_grad

    w = Tensor(np.array([3.0, -1.0]), requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with no_grad():  # the closure must still record its graph
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.numpy(), [1.5, -0.5])  # w - 0.25 * 2w


def test_grad_shape_mismatch():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = SGD([w], lr=0.1)
    w.grad = Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"gradient of shape \(3, 2\) for a parameter of shape"):
        opt.step()


def test_add_param_group_and_defaults():
    params = make_problem(np.float32)[0]
    ts = make_tensors(params)
    opt = SGD(ts[:1], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": ts[1], "lr": 0.5})
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1]
    assert opt.param_groups[1] == {"params": [ts[1]], "lr": 0.5, "momentum": 0.9,
                                   "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [ts[0]]})
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


# ---- bad arguments ----
BAD_HYPER = [  # (class, keyword arguments, per-group override or None, message)
    ("SGD", {"lr": -1}, None, "Invalid learning rate: -1"),
    ("SGD", {"lr": float("nan")}, None, "Invalid learning rate: nan"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, None, "Invalid momentum value: -0.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-4}, None, "Invalid weight_decay value: -0.0001"),
    ("SGD", {"lr": 0.1, "nesterov": True}, None,
     "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, None,
     "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"lr": 0.1}, {"lr": -2}, "Invalid learning rate: -2"),
    ("Adam", {"lr": -1}, None, "Invalid learning rate: -1"),
    ("Adam", {"eps": -1e-8}, None, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, None, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, None, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -1}, None, "Invalid weight_decay value: -1"),
    ("Adam", {}, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("AdamW", {"lr": -0.1}, None, "Invalid learning rate: -0.1"),
    ("AdamW", {"betas": (0.9, 1.5)}, None, "Invalid beta parameter at index 1: 1.5"),
]
OURS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}


def _build(classes, name, kwargs, override, params):
    groups = params if override is None else [dict(override, params=params)]
    return classes[name](groups, **kwargs)


@pytest.mark.parametrize("name, kwargs, override, message", BAD_HYPER)
def test_bad_hyper_parameters(name, kwargs, override, message):
    ts = make_tensors(make_problem(np.float32)[0])
    with pytest.raises(ValueError) as err:
        _build(OURS, name, kwargs, override, ts)
    assert str(err.value) == message


@pytest.mark.parametrize("name, kwargs, override, message",
                         [case for case in BAD_HYPER if case[2] is None and "nan" not in case[3]])
def test_bad_hyper_parameters_as_torch(name, kwargs, override, message):
    """torch.optim says the same (torch checks neither group overrides nor NaN)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as err:
        _build(vars(torch.optim), name, kwargs, override, [torch.zeros(2, requires_grad=True)])
    assert str(err.value) == message


def test_bad_params():
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Tensor"):
        SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is "
                                        "ndarray"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([w, w], lr=0.1)

