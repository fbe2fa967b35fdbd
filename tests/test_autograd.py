import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor


def test_gradients_accumulate_across_backward_calls_until_reset():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    x.zero_grad()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_shared_subexpression_gets_both_contributions():
    x = Tensor([3.0], requires_grad=True)
    y = x * x
    (y + y * x).sum().backward()       # 2x + 3x^2 = 6 + 27
    np.testing.assert_allclose(x.grad.numpy(), [33.0])


def test_deep_graph_has_no_recursion_limit():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    assert y._ctx is None


def test_backward_on_non_scalar_needs_a_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\).*pass gradient="):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_without_graph_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor([1.0]).sum().backward()


def test_ops_on_tensors_without_grad_record_nothing():
    a, b = Tensor([1.0]), Tensor([2.0])
    assert (a * b)._ctx is None


def test_broadcast_gradients_are_reduced_to_the_input_shape():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3,)), requires_grad=True)
    c = Tensor(np.ones((2, 1)), requires_grad=True)
    ((a + b) * c).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (2, 1)
    np.testing.assert_allclose(b.grad.numpy(), [2, 2, 2])
    np.testing.assert_allclose(c.grad.numpy(), [[6], [6]])   # sum of (a + b) = 2 over 3 columns


def test_mixed_devices_are_refused(monkeypatch):
    from tinygrad_cnn.ops.elementwise import Add
    a, b = Tensor([1.0]), Tensor([1.0])
    b.device = "cuda"
    with pytest.raises(ValueError, match="different devices, cpu and cuda"):
        Add.apply(a, b)


def test_custom_function_extends_autodiff():
    class Cube(tg.Function):
        def forward(self, x):
            self.save(x)
            return x ** 3

        def backward(self, grad):
            (x,) = self.saved
            return grad * 3 * x ** 2

    x = Tensor([2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.item() == 12.0


def test_a_second_backward_through_a_freed_graph_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_tensor_copies_its_input_like_torch_tensor():
    data = np.zeros(3, np.float32)
    t = Tensor(data, requires_grad=True)
    t.data += 1
    assert data.tolist() == [0, 0, 0]
