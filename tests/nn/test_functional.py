"""nn.functional gives PyTorch's results for the same inputs and weights (float32 rounding)."""
import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def both(*arrays, grad=False):
    ours = [tg.Tensor(a, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    return ours, theirs


def close(ours, theirs, atol=1e-5, rtol=1e-4):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=atol, rtol=rtol)


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 1, 1, 1), (2, 0, 1, 1), (1, 2, 2, 1), ((2, 1), (1, 0), 1, 2), (3, 1, 1, 4)])
def test_conv2d_forward_and_backward_match_pytorch(stride, padding, dilation, groups):
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((8, 4 // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    (xo, wo, bo), (xt, wt, bt) = both(x, w, b, grad=True)
    yo = F.conv2d(xo, wo, bo, stride, padding, dilation, groups)
    yt = TF.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    close(yo, yt)
    g = rng.standard_normal(yt.shape).astype(np.float32)
    yo.backward(g)
    yt.backward(torch.tensor(g))
    for o, t in ((xo, xt), (wo, wt), (bo, bt)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-4, rtol=1e-4)


def test_pooling_matches_pytorch():
    x = rng.standard_normal((2, 3, 9, 7)).astype(np.float32)
    (xo,), (xt,) = both(x)
    close(F.max_pool2d(xo, 3, 2, 1), TF.max_pool2d(xt, 3, 2, 1))
    close(F.avg_pool2d(xo, 3, 2, 1), TF.avg_pool2d(xt, 3, 2, 1))
    close(F.avg_pool2d(xo, 3, 2, 1, count_include_pad=False),
          TF.avg_pool2d(xt, 3, 2, 1, count_include_pad=False))
    close(F.adaptive_avg_pool2d(xo, (4, 3)), TF.adaptive_avg_pool2d(xt, (4, 3)))
    close(F.adaptive_avg_pool2d(xo, 7), TF.adaptive_avg_pool2d(xt, 7))


def test_linear_activations_and_softmaxes_match_pytorch():
    x = (rng.standard_normal((4, 5)) * 3).astype(np.float32)
    w, b = rng.standard_normal((3, 5)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    (xo, wo, bo), (xt, wt, bt) = both(x, w, b)
    close(F.linear(xo, wo, bo), TF.linear(xt, wt, bt))
    close(F.relu(xo), TF.relu(xt))
    close(F.leaky_relu(xo, 0.2), TF.leaky_relu(xt, 0.2))
    close(F.sigmoid(xo), torch.sigmoid(xt))
    close(F.tanh(xo), torch.tanh(xt))
    close(F.softmax(xo, 1), TF.softmax(xt, 1))
    close(F.log_softmax(xo, 0), TF.log_softmax(xt, 0))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_and_nll_match_pytorch(reduction, smoothing):
    x = (rng.standard_normal((6, 4)) * 4).astype(np.float32)
    y = rng.integers(0, 4, 6)
    (xo,), (xt,) = both(x, grad=True)
    lo = F.cross_entropy(xo, y, reduction=reduction, label_smoothing=smoothing)
    lt = TF.cross_entropy(xt, torch.tensor(y), reduction=reduction, label_smoothing=smoothing)
    close(lo, lt)
    lo.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-6)
    close(F.nll_loss(F.log_softmax(tg.Tensor(x), 1), y, reduction=reduction),
          TF.nll_loss(TF.log_softmax(torch.tensor(x), 1), torch.tensor(y), reduction=reduction))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_pytorch(training):
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32) * 2 + 1
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    rm, rv = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    (xo, wo, bo), (xt, wt, bt) = both(x, w, b, grad=True)
    rmo, rvo, rmt, rvt = tg.Tensor(rm), tg.Tensor(rv), torch.tensor(rm), torch.tensor(rv)
    yo = F.batch_norm(xo, rmo, rvo, wo, bo, training, 0.1, 1e-5)
    yt = TF.batch_norm(xt, rmt, rvt, wt, bt, training, 0.1, 1e-5)
    close(yo, yt)
    close(rmo, rmt)
    close(rvo, rvt)
    g = rng.standard_normal(x.shape).astype(np.float32)
    yo.backward(g)
    yt.backward(torch.tensor(g))
    for o, t in ((xo, xt), (wo, wt), (bo, bt)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-4, rtol=1e-4)


def test_dropout_scales_kept_units_and_is_identity_in_eval():
    x = tg.ones(1000)
    tg.manual_seed(0)
    y = F.dropout(x, 0.3).numpy()
    kept = y != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        F.dropout(x, 1.5)
