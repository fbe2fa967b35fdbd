"""Fused conv + bias + ReLU, and eval-mode BatchNorm folded into the conv by ``Sequential``."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.backends import get_backend
from tinygrad_cnn.nn.layers import BatchNorm2d, Conv2d, MaxPool2d, ReLU, Sequential
from tinygrad_cnn.testing import arrays, conv_geometries, gradcheck


@given(g=conv_geometries(), data=st.data())
def test_conv2d_relu_gradients(g, data):
    x = data.draw(arrays(g.input_shape))
    w = data.draw(arrays(g.weight_shape))
    b = data.draw(arrays((g.out_channels,))) + 0.3  # keep outputs away from the kink at 0

    def fn(x, w, b):
        return F.conv2d_relu(x, w, b, stride=g.stride, padding=g.padding, dilation=g.dilation,
                             groups=g.groups)

    gradcheck(fn, [x, w, b])


def _both_ways(x, w, b, **geometry):
    """``(fused, unfused)`` outputs and gradients of x, w and b, float64."""
    results = []
    for fused in (True, False):
        xt, wt, bt = (tg.Tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w, b))
        out = (F.conv2d_relu(xt, wt, bt, **geometry) if fused
               else F.relu(F.conv2d(xt, wt, bt, **geometry)))
        (out * tg.Tensor(np.linspace(-1, 1, out.numpy().size).reshape(out.shape))).sum().backward()
        results.append([out.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    return results


@pytest.mark.parametrize("algo", ["im2col", "winograd"])
def test_fused_equals_conv_then_relu(monkeypatch, algo):
    monkeypatch.setenv("TGCNN_CONV_ALGO", algo)
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal((2, 5, 7, 6)), rng.standard_normal((4, 5, 3, 3)),
               rng.standard_normal(4))
    fused, plain = _both_ways(x, w, b, padding=1)
    for a, e in zip(fused, plain):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_backend_without_fused_kernel_composes(monkeypatch):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    expected = _both_ways(x, w, b, stride=2)[1]
    monkeypatch.delattr(get_backend("cpu"), "conv2d_relu_forward")
    for a, e in zip(_both_ways(x, w, b, stride=2)[0], expected):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def _unfused(model, x):
    for layer in model:
        x = layer(x)
    return x


def test_sequential_training_step_matches_layer_by_layer():
    tg.manual_seed(0)
    model = Sequential(Conv2d(3, 4, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(4, 2, 3), ReLU())
    x = np.random.default_rng(2).standard_normal((2, 3, 8, 8)).astype(np.float32)
    grads = []
    for run in (model, lambda t: _unfused(model, t)):
        model.zero_grad()
        run(tg.Tensor(x)).sum().backward()
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
    for a, e in zip(*grads):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_eval_batch_norm_folded_under_no_grad(affine):
    tg.manual_seed(0)
    bn = BatchNorm2d(4, affine=affine)
    model = Sequential(Conv2d(3, 4, 3, padding=1), bn, ReLU())
    rng = np.random.default_rng(3)
    bn.running_mean.data[...] = rng.standard_normal(4)
    bn.running_var.data[...] = rng.uniform(0.5, 2.0, 4)
    if affine:
        bn.weight.data[...] = rng.standard_normal(4)
        bn.bias.data[...] = rng.standard_normal(4)
    model.eval()
    x = tg.Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    with tg.no_grad():
        folded, plain = model(x).numpy(), _unfused(model, x).numpy()
    np.testing.assert_allclose(folded, plain, rtol=1e-5, atol=1e-5)


def test_layers_with_hooks_are_not_fused():
    model = Sequential(Conv2d(1, 2, 3), ReLU())
    seen = []
    model[1].register_forward_hook(lambda layer, args, out: seen.append(out.shape))
    assert model(tg.ones(1, 1, 4, 4)).shape == (1, 2, 2, 2)
    assert seen == [(1, 2, 2, 2)]


def test_layer_with_replaced_forward_is_not_fused():
    model = Sequential(Conv2d(1, 2, 3), ReLU())
    calls = []
    conv_forward = model[0].forward
    model[0].forward = lambda x: calls.append(1) or conv_forward(x)
    model(tg.ones(1, 1, 4, 4))
    assert calls == [1]
