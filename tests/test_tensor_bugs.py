"""Regression tests for six silent-wrong-result bugs, each against PyTorch's answer."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.optim import SGD


# 1. bool tensors follow PyTorch's type promotion
def test_sum_of_a_bool_mask_is_an_int64_count():
    s = (tg.Tensor([1, 2, 3]) > 1).sum()
    assert s.dtype == np.int64 and s.item() == 2 and type(s.item()) is int


def test_bool_plus_int_is_int64_and_the_accuracy_idiom_counts():
    mask = tg.Tensor([1, 2, 3]) > 1
    out = mask + 5
    assert out.dtype == np.int64 and out.tolist() == [5, 6, 6]
    pred, y = tg.Tensor([0, 1, 2, 2]), tg.Tensor([0, 1, 1, 2])
    assert (pred == y).sum().item() == 3
    assert (pred == y).float().mean().item() == 0.75


@pytest.mark.parametrize("a, b", [
    (np.array([True, False]), np.array([2, 3])),
    (np.array([1, 2]), np.array([0.5, 1.5], np.float32)),
    (np.array([1.0], np.float32), np.array([2.0], np.float64)),
    (np.array([1, 2], np.uint8), np.array([3, 4], np.int64)),
    (np.array([1, 2], np.uint8), np.array([3, 4], np.int8)),
    (np.array([1.0, 2.0], np.float32), np.array(3.0, np.float64)),   # 0-d does not widen
    (np.array([1, 2], np.int32), np.array(3, np.int64)),
])
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_binary_ops_promote_like_pytorch(a, b, op):
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
          "/": lambda x, y: x / y}[op]
    try:
        theirs = fn(torch.tensor(a), torch.tensor(b))
    except RuntimeError:                           # bool subtraction: refused by both
        with pytest.raises(TypeError, match="bool"):
            fn(tg.tensor(a), tg.tensor(b))
        return
    ours = fn(tg.tensor(a), tg.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int64, np.float32, np.float64])
def test_scalar_ops_promote_like_pytorch(dtype, scalar):
    a = np.array([1, 0, 1]).astype(dtype)
    for fn in (lambda x: x + scalar, lambda x: x * scalar, lambda x: scalar * x):
        ours, theirs = fn(tg.tensor(a)), fn(torch.tensor(a))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (dtype, scalar)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# 2. empty tensors flow through every op
def test_conv2d_on_an_empty_batch_and_on_zero_channels():
    assert F.conv2d(tg.zeros(0, 3, 8, 8), tg.zeros(4, 3, 3, 3)).shape == (0, 4, 6, 6)
    # no input channels: an empty sum, so the output is the bias (PyTorch 2.x returns a
    # (2, 0, 6, 6) tensor here; the sum over zero channels is the documented definition)
    out = F.conv2d(tg.zeros(2, 0, 8, 8), tg.zeros(4, 0, 3, 3), tg.Tensor([1.0, 2, 3, 4]))
    want = np.broadcast_to(np.array([1.0, 2, 3, 4], np.float32).reshape(1, 4, 1, 1), (2, 4, 6, 6))
    np.testing.assert_array_equal(out.numpy(), want)


def test_empty_batches_through_conv_pool_linear_with_zero_gradients():
    x = tg.zeros(0, 3, 8, 8, requires_grad=True)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    b = tg.randn(4, requires_grad=True)
    lw = tg.randn(5, 4 * 3 * 3, requires_grad=True)
    h = F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2)
    h = F.avg_pool2d(h, 1)
    h = F.adaptive_avg_pool2d(h, 3)
    out = F.linear(h.flatten(1), lw)
    assert out.shape == (0, 5)
    out.sum().backward()
    assert x.grad.shape == x.shape
    for p in (w, b, lw):
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))


def test_reductions_over_empty_tensors():
    assert np.isnan(tg.zeros(0).mean().item())
    assert tg.zeros(0).sum().item() == 0
    values, indices = tg.zeros(0, 3).max(1)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == np.int64
    with pytest.raises(IndexError, match="non-zero size"):
        tg.zeros(3, 0).max(1)
    assert (tg.zeros(0, 3) @ tg.zeros(3, 2)).shape == (0, 2)


# 3. int64 stays exact
def test_int64_arithmetic_is_exact():
    big = 2 ** 53 + 1
    assert (tg.Tensor([big]) + tg.Tensor([1])).tolist() == [big + 1]
    assert (tg.Tensor([big]) + 1).tolist() == [big + 1]
    assert (tg.Tensor([big]) * tg.Tensor([1])).dtype == np.int64
    assert (tg.Tensor([big]) - 2).tolist() == [big - 2]


def test_integer_division_floor_and_modulo_like_pytorch():
    a, b = np.array([7, -7, 7, -7]), np.array([2, 2, -2, -2])
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert (tg.tensor(a) / tg.tensor(b)).dtype == np.float32
    for ours, theirs in [(tg.tensor(a) // tg.tensor(b), ta // tb),
                         (tg.tensor(a) % tg.tensor(b), ta % tb),
                         (tg.tensor(a) // 3, ta // 3), (tg.tensor(a) % 3, ta % 3),
                         (tg.tensor(a) // 2.5, ta // 2.5)]:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# 4. pow gradients at 0
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_gradients_at_zero_match_pytorch(dtype):
    xs = np.array([0.0, 0.0, 0.0, 2.0, 0.0], dtype)
    ys = np.array([2.0, 0.0, 0.5, 0.0, -1.0], dtype)
    x, y = tg.tensor(xs, requires_grad=True), tg.tensor(ys, requires_grad=True)
    tx, ty = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    (x ** y).sum().backward()
    (tx ** ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_pow_by_scalar_zero_has_zero_gradient_at_zero():
    x = tg.Tensor([0.0, 3.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# 5. .data is a detached tensor sharing storage
def test_manual_update_through_data_keeps_a_float_parameter():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data += -0.1 * w.grad
    assert isinstance(w.data, tg.Tensor) and w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    assert w.requires_grad and w.is_leaf
    w.grad = None
    (w * w).sum().backward()
    assert w.grad.dtype == np.float32
    SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.numpy(), [0.64, 1.28], rtol=1e-6)


def test_data_shares_storage_and_is_assignable():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(3)
    assert w.tolist() == [3.0, 6.0]
    w.data = tg.Tensor([5.0, 5.0])
    assert w.tolist() == [5.0, 5.0] and w.requires_grad


# 6. dim 0 / -1 on 0-d tensors
@pytest.mark.parametrize("dim", [0, -1])
def test_reductions_accept_dim_0_and_minus_1_on_0d_tensors(dim):
    x = tg.Tensor(2.0)
    for name in ("sum", "mean", "amax", "amin", "prod", "logsumexp"):
        got = getattr(x, name)(dim)
        want = getattr(torch.tensor(2.0), name)(dim)
        assert got.shape == () and np.isclose(got.item(), want.item()), name
    assert x.max(dim).values.item() == 2.0 and x.argmax(dim).item() == 0
    assert x.softmax(dim).item() == 1.0
    with pytest.raises(IndexError, match="out of range"):
        x.sum(1)
