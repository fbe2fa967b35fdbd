"""Module conventions: registration, traversal, state dicts, modes, gradients, devices, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.nn import IncompatibleKeys, Module, Parameter, StateDictError


def small_cnn() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 4 * 4, 3))


class Affine(Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(n))
        self.register_buffer("calls", tg.zeros(1))
        self.register_buffer("scratch", tg.zeros(n), persistent=False)
        self.inner = nn.Linear(n, n)

    def forward(self, x):
        return self.inner(x) * self.scale


def test_parameters_buffers_and_children_are_registered_in_order():
    m = small_cnn()
    assert [n for n, _ in m.named_parameters()] == [
        "0.weight", "0.bias", "1.weight", "1.bias", "6.weight", "6.bias"]
    assert [n for n, _ in m.named_buffers()] == [
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert [n for n, _ in m.named_children()] == [str(i) for i in range(7)]
    assert [n for n, _ in m.named_modules()][:3] == ["", "0", "1"]
    assert len(list(m.modules())) == 8
    assert all(isinstance(p, Parameter) and p.requires_grad and p.is_leaf for p in m.parameters())
    assert m.get_submodule("6") is m[6]
    with pytest.raises(AttributeError, match="no sub-module '9'"):
        m.get_submodule("9")


def test_custom_module_registration_and_non_persistent_buffers():
    a = Affine(3)
    assert [n for n, _ in a.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert [n for n, _ in a.named_buffers()] == ["calls", "scratch"]
    assert list(a.state_dict()) == ["scale", "calls", "inner.weight", "inner.bias"]
    with pytest.raises(TypeError, match="expected a Parameter or None"):
        a.scale = tg.ones(3)
    with pytest.raises(TypeError, match="buffers are not trained"):
        a.register_buffer("bad", Parameter(np.ones(2)))
    del a.inner
    assert [n for n, _ in a.named_parameters()] == ["scale"]


def test_shared_parameter_is_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    assert m.num_parameters() == 6


def test_module_needs_super_init():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_state_dict_round_trip_gives_identical_outputs():
    tg.manual_seed(0)
    a = small_cnn()
    tg.manual_seed(1)
    b = small_cnn()
    x = tg.randn(2, 1, 8, 8)
    a.train()(x)  # moves a's running statistics away from their initial values
    a.eval(), b.eval()
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    assert isinstance(state, OrderedDict)
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["1.num_batches_tracked"].shape == () and state["1.num_batches_tracked"] == 1
    assert b.load_state_dict(state) == IncompatibleKeys([], [])
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # the state dict is a copy: changing it does not touch the model
    state["0.weight"][...] = 0
    assert np.abs(a[0].weight.numpy()).sum() > 0


def test_load_state_dict_keeps_parameter_identity_and_casts_dtype():
    m = nn.Linear(3, 2)
    weight = m.weight
    m.load_state_dict({"weight": np.ones((2, 3), np.float64), "bias": tg.zeros(2)})
    assert m.weight is weight and m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight.numpy(), np.ones((2, 3), np.float32))


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    m = small_cnn()
    before = m.state_dict()
    bad = dict(before)
    del bad["0.bias"]
    bad["extra.weight"] = np.zeros(3)
    bad["6.weight"] = np.zeros((3, 5))
    with pytest.raises(StateDictError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "\n" not in message
    assert "missing keys: 0.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "6.weight: checkpoint (3, 5) vs model (3, 64)" in message
    for key, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    m = small_cnn()
    state = m.state_dict()
    del state["6.bias"]
    state["junk"] = np.zeros(1)
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["6.bias"] and result.unexpected_keys == ["junk"]
    state["0.weight"] = np.zeros((1, 1))
    with pytest.raises(StateDictError, match="shape mismatches"):
        m.load_state_dict(state, strict=False)


def test_train_eval_switches_dropout():
    tg.manual_seed(0)
    drop = nn.Sequential(nn.Dropout(0.5))
    assert drop.training and drop[0].training
    x = tg.ones(1000)
    y = drop(x).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and 300 < (y == 0).sum() < 700
    assert drop.eval() is drop and not drop[0].training
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    drop.train()
    assert drop[0].training


def test_train_eval_switches_batch_norm_statistics():
    bn = nn.BatchNorm2d(3)
    x = tg.Tensor(np.random.default_rng(0).normal(2.0, 3.0, (4, 3, 5, 5)))
    arr = x.numpy()
    out = bn(x).numpy()  # training: batch statistics
    mean, var = arr.mean(axis=(0, 2, 3)), arr.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out, (arr - mean[:, None, None]) /
                               np.sqrt(var[:, None, None] + 1e-5), atol=1e-4)
    unbiased = arr.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * unbiased, rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    running = bn.running_mean.numpy().copy()
    out_eval = bn(x).numpy()  # evaluation: running statistics, not updated
    np.testing.assert_allclose(out_eval, (arr - running[:, None, None]) / np.sqrt(
        bn.running_var.numpy()[:, None, None] + 1e-5), atol=1e-4)
    np.testing.assert_array_equal(bn.running_mean.numpy(), running)
    assert int(bn.num_batches_tracked.item()) == 1


def test_batch_norm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm2d(2, momentum=None)
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(3, 2, 2, 2)) for _ in range(3)]
    for b in batches:
        bn(tg.Tensor(b))
    expected = np.mean([b.mean(axis=(0, 2, 3)) for b in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5)


def test_zero_grad():
    m = small_cnn()
    m(tg.randn(2, 1, 8, 8)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) and p.grad.shape == p.shape for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_to_casts_in_place_and_keeps_leaves():
    m = small_cnn()
    params = list(m.parameters())
    m(tg.randn(2, 1, 8, 8)).sum().backward()
    assert m.to(dtype=np.float64) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(isinstance(p, Parameter) and p.is_leaf and p.requires_grad and
               p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert m[1].running_mean.dtype == np.float64
    assert m[1].num_batches_tracked.dtype == np.int64 and m[1].num_batches_tracked.shape == ()
    assert m(tg.randn(2, 1, 8, 8, dtype=np.float64)).dtype == np.float64
    m.to("cpu").float()
    assert all(p.dtype == np.float32 for p in m.parameters())
    with pytest.raises(TypeError, match="float32 or float64"):
        m.to(dtype=np.int32)
    with pytest.raises(ValueError, match="unknown device"):
        m.to("tpu")


def test_num_parameters_and_requires_grad():
    m = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Linear(4, 1))
    assert m.num_parameters() == 56 + 5
    m[0].requires_grad_(False)
    assert m.num_parameters() == 5
    assert m.num_parameters(trainable_only=False) == 61


def test_forward_hook_runs_and_is_removed():
    m = nn.ReLU()
    seen = []
    handle = m.register_forward_hook(lambda mod, inputs, out: seen.append(out.shape))
    m(tg.zeros(2, 3))
    handle.remove()
    m(tg.zeros(1))
    assert seen == [(2, 3)]


def test_repr_matches_pytorch_style():
    m = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Linear(10, 2, bias=False), nn.BatchNorm2d(8))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0)\n"
        "  (3): Linear(in_features=10, out_features=2, bias=False)\n"
        "  (4): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        ")")
    assert repr(Parameter(np.zeros(1))).startswith("Parameter containing:\ntensor(")


def test_parameter_from_tensor_shares_data_and_dtype():
    t = tg.Tensor(np.arange(3.0), dtype=np.float64)
    p = Parameter(t)
    assert p._array is t._array and p.dtype == np.float64 and p.requires_grad
    frozen = Parameter(np.zeros(2), requires_grad=False)
    assert not frozen.requires_grad


def test_evaluating_restores_each_submodule_mode():
    from tinygrad_cnn import nn as tnn
    model = tnn.Sequential(tnn.Dropout(0.5), tnn.BatchNorm2d(2))
    model.train()
    model[1].eval()
    with model.evaluating():
        assert not any(m.training for m in model.modules())
    assert model.training and model[0].training and not model[1].training
