import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor


def test_float_data_becomes_float32_and_ints_stay_integer():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.zeros(3, np.float64)).dtype == np.float32
    assert Tensor(np.zeros(3), dtype=np.float64).dtype == np.float64
    assert Tensor([1, 2, 3]).dtype == np.int64
    assert Tensor(np.array([1, 2], np.uint8)).dtype == np.int64


def test_accessors():
    t = Tensor(np.arange(6).reshape(2, 3), dtype="float32")
    assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and t.device == "cpu"
    assert t.size(1) == 3
    assert Tensor([3.5]).item() == 3.5
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="1"):
        t.item()


def test_string_data_is_rejected_with_a_clear_error():
    with pytest.raises(TypeError, match="dtype"):
        Tensor(["a", "b"])


def test_requires_grad_only_on_floats():
    with pytest.raises(TypeError, match="float"):
        Tensor([1, 2], requires_grad=True)


def test_detach_drops_history():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf


def test_scalar_arithmetic_both_sides():
    x = Tensor([1.0, 2.0, 4.0])
    np.testing.assert_allclose((2 - x).numpy(), [1, 0, -2])
    np.testing.assert_allclose((1 / x).numpy(), [1, 0.5, 0.25])
    np.testing.assert_allclose((2 ** x).numpy(), [2, 4, 16])
    np.testing.assert_allclose((x ** 2).numpy(), [1, 4, 16])
    np.testing.assert_allclose((-x + 1).numpy(), [0, -1, -3])
    assert (x * 3).dtype == np.float32


def test_mixed_dtypes_promote_like_pytorch():
    a, b = Tensor([1.0]), Tensor([1.0], dtype=np.float64)
    assert (a + b).dtype == np.float64
    assert (a + Tensor([1])).dtype == np.float32


def test_reshape_flatten_permute():
    t = tg.arange(24, dtype="float32").reshape(2, 3, 4)
    assert t.reshape(2, -1).shape == (2, 12)
    assert t.flatten(1).shape == (2, 12)
    assert t.permute(2, 0, 1).shape == (4, 2, 3)
    assert t.transpose(0, 2).shape == (4, 3, 2)
    np.testing.assert_array_equal(t.permute(2, 0, 1).numpy(), np.transpose(t.numpy(), (2, 0, 1)))
    with pytest.raises(ValueError, match="cannot reshape"):
        t.reshape(5, -1)
    with pytest.raises(ValueError, match="permutation"):
        t.permute(0, 0, 1)


def test_matmul_shapes_and_errors():
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), rtol=1e-5)
    assert (tg.randn(5, 2, 3) @ b).shape == (5, 2, 4)
    assert (a @ tg.randn(3)).shape == (2,)
    with pytest.raises(ValueError, match=r"inner dimensions differ: \(2, 3\) @ \(4, 4\)"):
        a @ tg.randn(4, 4)


def test_comparisons_give_bool_tensors():
    x = Tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x.argmax()).item() == 2


def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y._ctx is None


def test_repr_mentions_dtype_and_grad():
    r = repr(Tensor([1.0], requires_grad=True))
    assert "float32" in r and "requires_grad=True" in r


def test_manual_seed_repeats_random_draws():
    tg.manual_seed(3)
    a = tg.randn(4).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, tg.randn(4).numpy())


def test_zero_dimensional_data_stays_zero_dimensional():
    for value in (np.array(0), np.array(True), 2.0, np.float64(1.5)):
        assert Tensor(value).shape == ()


def test_integer_tensors_divide_to_float_like_pytorch():
    t = Tensor([1, 2, 3])
    assert (t / 2).dtype == np.float32 and (t / 2).tolist() == [0.5, 1.0, 1.5]
    assert (t * 2).dtype == np.int64
    assert (t + 0.5).dtype == np.float32


def test_power_of_a_non_positive_base_has_pytorchs_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (0.0 ** x).sum().backward()          # PyTorch: 0, not 0 * log(0)
    assert x.grad.tolist() == [0.0, 0.0]
    x.zero_grad()
    ((-2.0) ** x).sum().backward()       # log of a negative base: NaN
    assert np.isnan(x.grad.numpy()).all()
