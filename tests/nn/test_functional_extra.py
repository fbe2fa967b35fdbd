"""The newer nn.functional functions against PyTorch: forward and gradients in float32 and
float64, and their input checks."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import check_parity

TF = torch.nn.functional
rng = np.random.default_rng(2)
X = rng.standard_normal((2, 4, 7, 6)) * 2
W = rng.standard_normal((4, 3, 3, 3))
B = rng.standard_normal(3)
W5 = rng.standard_normal((5, 4, 4, 3))
P = 1 / (1 + np.exp(-rng.standard_normal((3, 5))))
Y = (rng.random((3, 5)) > 0.5).astype(float)
L = rng.standard_normal((3, 5))
G = rng.standard_normal(4) ** 2

CASES = {
    "elu": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), [X]),
    "gelu": (F.gelu, TF.gelu, [X]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh"), [X]),
    "silu": (F.silu, TF.silu, [X]), "relu6": (F.relu6, TF.relu6, [X * 3]),
    "hardswish": (F.hardswish, TF.hardswish, [X]), "mish": (F.mish, TF.mish, [X]),
    "softplus": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0), [X]),
    "layer_norm": (lambda x: F.layer_norm(x, (6,)), lambda x: TF.layer_norm(x, (6,)), [X]),
    "layer_norm_affine": (lambda x, w, b: F.layer_norm(x, (7, 6), w, b, 1e-3),
                          lambda x, w, b: TF.layer_norm(x, (7, 6), w, b, 1e-3),
                          [X, X[0, 0] + 1, X[1, 1]]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b),
                   lambda x, w, b: TF.group_norm(x, 2, w, b), [X, G, B[[0, 1, 2, 0]]]),
    "interp_nearest": (lambda x: F.interpolate(x, size=(9, 4)),
                       lambda x: TF.interpolate(x, size=(9, 4)), [X]),
    "interp_nearest_scale": (lambda x: F.interpolate(x, scale_factor=2),
                             lambda x: TF.interpolate(x, scale_factor=2), [X]),
    "interp_bilinear": (lambda x: F.interpolate(x, size=(11, 5), mode="bilinear"),
                        lambda x: TF.interpolate(x, size=(11, 5), mode="bilinear",
                                                 align_corners=False), [X]),
    "interp_bilinear_corners": (
        lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
        lambda x: TF.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True), [X]),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (3, 4)),
                            lambda x: TF.adaptive_max_pool2d(x, (3, 4)), [X]),
    "max_pool2d_dilation_ceil": (lambda x: F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True),
                                 lambda x: TF.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True),
                                 [X]),
    "max_pool2d_ceil": (lambda x: F.max_pool2d(x, 2, ceil_mode=True),
                        lambda x: TF.max_pool2d(x, 2, ceil_mode=True), [X]),
    "interp_nearest_frac": (lambda x: F.interpolate(x, scale_factor=(1.7, 0.6)),
                            lambda x: TF.interpolate(x, scale_factor=(1.7, 0.6)), [X]),
    "interp_bilinear_down": (lambda x: F.interpolate(x, scale_factor=0.55, mode="bilinear"),
                             lambda x: TF.interpolate(x, scale_factor=0.55, mode="bilinear"),
                             [X]),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
                         lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1), [X, W, B]),
    "conv_transpose2d_groups": (
        lambda x, w: F.conv_transpose2d(x, w, None, 1, 0, 0, 2, 2),
        lambda x, w: TF.conv_transpose2d(x, w, None, 1, 0, 0, 2, 2), [X, W[:, :2]]),
    "conv2d_same": (lambda x, w: F.conv2d(x, w, padding="same"),
                    lambda x, w: TF.conv2d(x, w, padding="same"), [X, W5]),
    "conv2d_same_dilated": (lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)),
                            lambda x, w: TF.conv2d(x, w, padding="same", dilation=(1, 2)),
                            [X, W5]),
    "conv2d_valid": (lambda x, w: F.conv2d(x, w, padding="valid"),
                     lambda x, w: TF.conv2d(x, w, padding="valid"), [X, W5]),
    "bce": (lambda p, y: F.binary_cross_entropy(p, y), lambda p, y: TF.binary_cross_entropy(p, y),
            [P, Y]),
    "bce_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
                   lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction="sum"),
                   [L * 30, Y]),
    "bce_logits_pos_weight": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=y[0] + 2),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, pos_weight=y[0] + 2), [L, Y],
        [True, False]),
    "mse": (lambda x, y: F.mse_loss(x, y), lambda x, y: TF.mse_loss(x, y), [L, Y]),
    "l1": (lambda x, y: F.l1_loss(x, y, reduction="none"),
           lambda x, y: TF.l1_loss(x, y, reduction="none"), [L, Y]),
    "smooth_l1": (lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
                  lambda x, y: TF.smooth_l1_loss(x, y, beta=0.5), [L, Y]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dtype):
    ours, theirs, arrays, *flags = CASES[name]
    check_parity(ours, theirs, arrays, dtype, grad=flags[0] if flags else [True] * len(arrays))


TARGET = np.array([0, 4, 2, 4, 1, 3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weight_and_ignore_index_match_torch(dtype, reduction, smoothing):
    logits = rng.standard_normal((6, 5))
    target = TARGET.copy()
    target[2] = -1
    weight = G[[0, 1, 2, 3, 0]] + 0.1
    check_parity(lambda x, w: F.cross_entropy(x, tg.tensor(target), weight=w, ignore_index=-1,
                                              reduction=reduction, label_smoothing=smoothing),
                 lambda x, w: TF.cross_entropy(x, torch.tensor(target), weight=w,
                                               ignore_index=-1, reduction=reduction,
                                               label_smoothing=smoothing),
                 [logits, weight], dtype, grad=[True, False])
    check_parity(lambda x: F.nll_loss(x, tg.tensor(target), ignore_index=-1, reduction=reduction),
                 lambda x: TF.nll_loss(x, torch.tensor(target), ignore_index=-1,
                                       reduction=reduction), [logits], dtype)


def test_max_pool2d_and_adaptive_max_pool2d_return_torchs_indices():
    x, t = tg.tensor(X), torch.tensor(X)
    for ours, theirs in [(F.max_pool2d(x, 2, return_indices=True),
                          TF.max_pool2d(t, 2, return_indices=True)),
                         (F.max_pool2d(x, 3, 2, 1, dilation=2, return_indices=True),
                          TF.max_pool2d(t, 3, 2, 1, dilation=2, return_indices=True)),
                         (F.max_pool2d(x, (3, 2), (2, 3), (1, 1), dilation=(2, 3),
                                       ceil_mode=True, return_indices=True),
                          TF.max_pool2d(t, (3, 2), (2, 3), (1, 1), dilation=(2, 3),
                                        ceil_mode=True, return_indices=True)),
                         (F.max_pool2d(x, 2, ceil_mode=True, return_indices=True),
                          TF.max_pool2d(t, 2, ceil_mode=True, return_indices=True)),
                         (F.adaptive_max_pool2d(x, (4, 5), return_indices=True),
                          TF.adaptive_max_pool2d(t, (4, 5), return_indices=True)),
                         (F.adaptive_max_pool2d(x, (3, 4), return_indices=True),
                          TF.adaptive_max_pool2d(t, (3, 4), return_indices=True))]:
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_pooling_extras_on_empty_batches():
    x = tg.zeros(0, 2, 5, 5, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, ceil_mode=True, return_indices=True)
    ref = TF.max_pool2d(torch.zeros(0, 2, 5, 5), 2, ceil_mode=True)
    assert out.shape == tuple(ref.shape) and idx.shape == out.shape and idx.dtype == np.int64
    assert F.max_pool2d(x, 3, 1, dilation=2).shape == (0, 2, 1, 1)
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_one_hot_and_dropout2d():
    labels = np.array([[0, 2], [1, 1]])
    assert F.one_hot(tg.tensor(labels)).tolist() == TF.one_hot(torch.tensor(labels)).tolist()
    assert F.one_hot(tg.tensor(labels), 4).dtype == np.int64
    tg.manual_seed(0)
    x = tg.ones(8, 16, 3, 3)
    out = F.dropout2d(x, 0.5).numpy()
    per_channel = out.reshape(8, 16, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(2) == per_channel.max(2)).all()        # whole channels
    assert 0.2 < (per_channel[:, :, 0] == 0).mean() < 0.8
    assert F.dropout2d(x, 0.5, training=False) is x


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.interpolate(tg.zeros(1, 1, 2, 2), mode="bicubic", size=3), ValueError,
     "interpolate: mode must be"),
    (lambda: F.interpolate(tg.zeros(1, 2, 2), size=3), ValueError, r"interpolate: expected a 4-D"),
    (lambda: F.layer_norm(tg.zeros(2, 3), (4,)), ValueError,
     r"layer_norm: normalized_shape \(4,\) must match .* \(2, 3\)"),
    (lambda: F.group_norm(tg.zeros(2, 3, 4), 2), ValueError, r"group_norm: 3 channels"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=2, padding="same"),
     ValueError, "padding='same' needs stride 1"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 2, 3, 3), tg.zeros(3, 1, 3, 3)), ValueError,
     r"conv_transpose2d: weight must be 4-D \(in_channels=2"),
    (lambda: F.binary_cross_entropy(tg.Tensor([2.0]), tg.Tensor([1.0])), ValueError,
     r"binary_cross_entropy: input values must lie in \[0, 1\]"),
    (lambda: F.l1_loss(tg.zeros(2), tg.zeros(3)), ValueError,
     r"l1_loss: input \(2,\) and target \(3,\)"),
    (lambda: F.cross_entropy(tg.zeros(2, 3), tg.Tensor([0, 1]), weight=tg.ones(2)), ValueError,
     r"cross_entropy: weight must be a tensor of shape \(3,\)"),
    (lambda: F.one_hot(tg.zeros(2)), TypeError, "one_hot: expected an integer tensor"),
    (lambda: F.elu(tg.Tensor([1, 2])), TypeError, "elu: input must be float32 or float64"),
])
def test_bad_input_is_one_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
