"""Edge cases of the API, each answered the way PyTorch answers it (or refused clearly)."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.nn.module import StateDictError


@pytest.mark.parametrize("name", ["sigmoid", "exp", "tanh", "sqrt", "log"])
def test_float_functions_of_integer_tensors_promote_to_float32(name):
    ours, theirs = getattr(tg.Tensor([1, 4]), name)(), getattr(torch.tensor([1, 4]), name)()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_uint8_arithmetic_wraps_around_like_torch():
    a = np.array([250, 3], np.uint8)
    for fn in (lambda x: x + 10, lambda x: x - 5, lambda x: x * 2, lambda x: x + x,
               lambda x: x + 300):
        ours, theirs = fn(tg.tensor(a)), fn(torch.tensor(a))
        assert ours.dtype == np.uint8
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_relu_backward_at_nan_passes_the_gradient_like_torch():
    data = np.array([np.nan, 1.0, -1.0, 0.0], np.float32)
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.relu().sum().backward()
    tx.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("call", [lambda t: t.flatten(100), lambda t: t.flatten(0, 5),
                                  lambda t: t.squeeze(7), lambda t: t.unsqueeze(4),
                                  lambda t: t.transpose(0, 3), lambda t: t.sum(2),
                                  lambda t: t.size(2), lambda t: t.softmax(-3)])
def test_out_of_range_dims_raise_index_error(call):
    with pytest.raises(IndexError, match="out of range"):
        call(tg.zeros(2, 3))


def test_relu_of_bool_is_refused_and_of_int_stays_int():
    with pytest.raises(TypeError, match="bool"):
        tg.Tensor([True, False]).relu()
    assert tg.Tensor([-1, 2]).relu().tolist() == [0, 2]


@pytest.mark.parametrize("make", [lambda: tg.zeros(2.5, 3), lambda: tg.ones((2, 1.0)),
                                  lambda: tg.randn(2, "3"), lambda: tg.full((True, 2), 1.0)])
def test_non_integer_sizes_are_refused(make):
    with pytest.raises(TypeError, match="size"):
        make()


@pytest.mark.parametrize("data", [np.array([1 + 2j]), np.array([1, 2], dtype=object),
                                  ["a"], np.array([1.0], np.complex64)])
def test_complex_object_and_string_data_are_refused(data):
    with pytest.raises(TypeError, match="dtype"):
        tg.Tensor(data)
    with pytest.raises(TypeError, match="dtype"):
        tg.tensor(data)


@pytest.mark.parametrize("make", [lambda: tg.Tensor([1.0], dtype=np.float16),
                                  lambda: tg.tensor(np.zeros(2, np.float16)),
                                  lambda: tg.zeros(2, dtype="float16"),
                                  lambda: tg.Tensor([1.0]).to(dtype=np.float16)])
def test_float16_is_refused_clearly(make):
    with pytest.raises(TypeError, match="float16 is not supported"):
        make()


@pytest.mark.parametrize("bad", [np.zeros((2, 3), np.complex128),
                                 np.zeros((2, 3)).astype(object)])
def test_load_state_dict_refuses_complex_and_object_arrays(bad):
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    with pytest.raises(StateDictError, match="weight"):
        layer.load_state_dict({"weight": bad, "bias": np.zeros(2)})
    np.testing.assert_array_equal(layer.weight.numpy(), before)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_a_minus_inf_target_logit_is_inf(smoothing):
    logits = np.array([[-np.inf, 0.0, 1.0]], np.float32)
    ours = F.cross_entropy(tg.tensor(logits), tg.Tensor([0]), label_smoothing=smoothing)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0]),
                                               label_smoothing=smoothing)
    assert ours.item() == theirs.item() == np.inf


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a % b,
                                lambda a, b: a ** b])
def test_shape_mismatch_is_one_error_naming_op_shapes_and_dtypes(op):
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) do not broadcast "
                                         r"\(dtypes float32 and float32\)"):
        op(tg.zeros(2, 3), tg.zeros(4))
