"""In-place updates, the version counter, backward's keywords and max/min(dim)."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn  # noqa: F401  (tg.nn)
from tinygrad_cnn import no_grad


def test_manual_sgd_under_no_grad_keeps_the_same_leaf():
    w = tg.Tensor([1.0, -2.0], requires_grad=True)
    storage = w._array
    (w * w).sum().backward()
    with no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad and w._array is storage
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6])


def test_loop_over_parameters_updates_them():
    model = tg.nn.Linear(3, 2)
    x = tg.randn(4, 3)
    model(x).sum().backward()
    before = [p.numpy().copy() for p in model.parameters()]
    with no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
    for p, b in zip(model.parameters(), before):
        np.testing.assert_allclose(p.numpy(), b - 0.5 * p.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("method, args, want", [
    ("add_", (2.0,), [3.0, 0.0]), ("sub_", (1.0,), [0.0, -3.0]), ("mul_", (3.0,), [3.0, -6.0]),
    ("div_", (2.0,), [0.5, -1.0]), ("zero_", (), [0.0, 0.0]), ("fill_", (7.0,), [7.0, 7.0]),
    ("clamp_", (-1.0, 0.5), [0.5, -1.0]), ("copy_", (tg.Tensor([4, 5]),), [4.0, 5.0]),
])
def test_in_place_methods_update_storage_and_return_self(method, args, want):
    x = tg.Tensor([1.0, -2.0])
    alias = x.data
    assert getattr(x, method)(*args) is x
    assert x.tolist() == want and alias.tolist() == want and x._version == 1


def test_in_place_operators_match_torch():
    ours, theirs = tg.Tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    for t in (ours, theirs):
        t += 1
        t *= 2
        t -= 0.5
        t /= 4
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_in_place_on_a_leaf_requiring_grad_is_refused_outside_no_grad():
    w = tg.Tensor([1.0], requires_grad=True)
    for update in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.__iadd__(1)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            update()


def test_in_place_on_a_tensor_saved_for_backward_is_an_error():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y                   # saves y
    y += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_in_place_on_a_non_leaf_is_recorded():
    x, tx = tg.Tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    for a in (x, tx):
        y = a * 3
        y *= a
        y += 1
        y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_in_place_dtype_rules_like_torch():
    i = tg.Tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    i += 1
    assert i.dtype == np.int64 and i.tolist() == [2, 3]
    f = tg.Tensor([1.0])
    f += tg.Tensor([2])
    assert f.dtype == np.float32 and f.tolist() == [3.0]
    with pytest.raises(RuntimeError, match="shape"):
        tg.Tensor([1.0]).add_(tg.Tensor([1.0, 2.0]))


def test_setitem_in_place_and_differentiable_for_the_value():
    x = tg.zeros(2, 3)
    x[0, 1] = 5.0
    x[1] = tg.Tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[0, 5, 0], [1, 2, 3]]
    v = tg.Tensor([2.0, 3.0], requires_grad=True)
    base = tg.ones(2, 2, requires_grad=True)
    y = base * 1
    y[:, 0] = v
    (y * tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert v.grad.tolist() == [1.0, 3.0] and base.grad.tolist() == [[0, 2], [0, 4]]


def test_backward_keywords_and_retain_graph():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(gradient=tg.Tensor([1.0, 1.0]), retain_graph=True)
    y.backward(tg.Tensor([1.0, 0.0]))
    assert x.grad.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(tg.Tensor([1.0, 1.0]))
    z = tg.Tensor([3.0], requires_grad=True)
    (z * 2).backward(grad=tg.Tensor([1.0]))        # the old keyword still works
    assert z.grad.tolist() == [2.0]


def test_grads_can_be_updated_in_place():
    a, b = tg.Tensor([1.0], requires_grad=True), tg.Tensor([2.0], requires_grad=True)
    (a + b).sum().backward()          # both leaves receive the same upstream array
    a.grad.mul_(5)
    assert a.grad.tolist() == [5.0] and b.grad.tolist() == [1.0]
    c = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    c.sum().backward()                 # a broadcast (read-only) gradient
    c.grad.zero_()
    assert c.grad.tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_dim_return_values_and_indices_like_torch(name, dtype):
    data = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.0]], dtype)
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for keepdim in (False, True):
        out, tout = getattr(x, name)(1, keepdim), getattr(tx, name)(1, keepdim)
        np.testing.assert_array_equal(out.values.numpy(), tout.values.detach().numpy())
        np.testing.assert_array_equal(out.indices.numpy(), tout.indices.numpy())
        values, indices = out
        assert indices.dtype == np.int64 and values.shape == tuple(tout.values.shape)
    getattr(x, name)(1).values.sum().backward()
    getattr(tx, name)(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())   # to the returned index


def test_amax_splits_ties_and_max_without_dim_is_a_value():
    x = tg.Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5]]
    assert x.max().item() == 3.0 and x.min().item() == 1.0


def test_tensor_factory_follows_torch_tensor_dtype_rule():
    assert tg.tensor(1.5).dtype == np.float32 and tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True]).dtype == np.bool_
    assert tg.tensor(np.zeros(2)).dtype == np.float64
    assert tg.tensor(np.zeros(2, np.int32)).dtype == np.int32
    assert tg.tensor([1, 2], dtype="float64").dtype == np.float64
    a = np.array([1.0, 2.0])
    t = tg.tensor(a, requires_grad=True)
    a[0] = 9
    assert t.tolist() == [1.0, 2.0] and t.requires_grad
    from tinygrad_cnn.tensor import Tensor          # the module path still works
    assert Tensor is tg.Tensor and isinstance(tg.tensor(tg.Tensor([1.0])), Tensor)


def test_in_place_on_a_non_leaf_already_used_by_another_op_is_an_error():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y + 1                   # saves nothing, but its gradient flows through y's history
    y *= 3
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_in_place_on_an_output_its_op_saved_is_an_error_like_torch():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()                 # exp saves its output
    y *= 2
    with pytest.raises(RuntimeError, match="output .* modified by an in-place operation"):
        y.sum().backward()
    x2 = tg.Tensor([1.0, 2.0], requires_grad=True)
    y2 = x2.exp()
    y2.detach().mul_(2)         # detach shares the version counter
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y2.sum().backward()
    x3 = tg.Tensor([1.0, 2.0], requires_grad=True)
    y3 = x3 * 3                 # saves only x3 (a leaf); y3 itself may change
    y3 += 1
    y3.sum().backward()
    assert x3.grad.tolist() == [3.0, 3.0]
