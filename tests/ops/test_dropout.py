"""The dropout op: its mask is the backend kernel's for the seed, its gradient the same mask."""
import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.backends.cpu.random import dropout_mask
from tinygrad_cnn.ops.dropout import Dropout
from tinygrad_cnn.random import next_seed
from tinygrad_cnn.testing import gradcheck


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_is_input_times_the_kernel_mask_and_backward_the_same_mask(dtype):
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(dtype)
    xt = tg.Tensor(x, dtype=dtype, requires_grad=True)
    y = Dropout.apply(xt, p=0.4, seed=11)
    mask = dropout_mask(x.shape, 0.4, dtype, 11)
    assert y.dtype == dtype and y.requires_grad
    np.testing.assert_array_equal(y.numpy(), x * mask)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    y.backward(tg.Tensor(g, dtype=dtype))
    np.testing.assert_array_equal(xt.grad.numpy(), g * mask)


def test_same_seed_same_mask_other_seed_other_mask():
    x = tg.ones(64, 16)
    a, b = Dropout.apply(x, p=0.5, seed=7), Dropout.apply(x, p=0.5, seed=7)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), Dropout.apply(x, p=0.5, seed=8).numpy())


def test_channel_mask_broadcasts_in_forward_and_backward():
    x = np.random.default_rng(2).standard_normal((3, 4, 2, 2)).astype(np.float32)
    xt = tg.Tensor(x, requires_grad=True)
    y = Dropout.apply(xt, p=0.5, seed=3, mask_shape=(3, 4, 1, 1))
    mask = dropout_mask((3, 4, 1, 1), 0.5, np.float32, 3)
    np.testing.assert_array_equal(y.numpy(), x * mask)
    y.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), np.broadcast_to(mask, x.shape))


def test_gradient_matches_finite_differences_for_a_fixed_seed():
    x = np.random.default_rng(3).standard_normal((3, 5))
    gradcheck(lambda t: Dropout.apply(t, p=0.3, seed=5), [x])


def test_functional_dropout_draws_one_seed_from_the_global_stream():
    x = np.random.default_rng(4).standard_normal((6, 7)).astype(np.float32)
    tg.manual_seed(123)
    got = F.dropout(tg.Tensor(x), 0.25).numpy()
    tg.manual_seed(123)
    seed = next_seed()
    np.testing.assert_array_equal(got, x * dropout_mask(x.shape, 0.25, np.float32, seed))
    tg.manual_seed(123)
    x4 = np.ones((2, 3, 4, 4), np.float32)
    got2d = F.dropout2d(tg.Tensor(x4), 0.25).numpy()
    tg.manual_seed(123)
    np.testing.assert_array_equal(got2d, x4 * dropout_mask((2, 3, 1, 1), 0.25, np.float32,
                                                           next_seed()))


def test_no_grad_records_nothing_and_p_one_zeroes_everything():
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    with tg.no_grad():
        y = Dropout.apply(x, p=0.5, seed=1)
    assert not y.requires_grad
    z = Dropout.apply(x, p=1.0, seed=1)
    z.sum().backward()
    assert not z.numpy().any() and not x.grad.numpy().any()
