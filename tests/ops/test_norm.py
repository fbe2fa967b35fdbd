"""Batch normalisation gradients in training and evaluation mode, and the running statistics."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, gradcheck


@given(shape=st.sampled_from([(4, 3), (2, 3, 2, 2), (3, 1, 3, 2)]), data=st.data())
def test_batch_norm_training_gradients(shape, data):
    x = data.draw(arrays(shape))
    x = x + np.linspace(0, 1, x.size).reshape(shape)          # non-constant channels
    c = shape[1]
    w, b = data.draw(arrays((c,))), data.draw(arrays((c,)))
    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b],
              atol=1e-4)


@given(shape=st.sampled_from([(4, 3), (2, 3, 2, 2)]), data=st.data())
def test_batch_norm_eval_gradients(shape, data):
    x = data.draw(arrays(shape))
    c = shape[1]
    mean = tg.Tensor(data.draw(arrays((c,))), dtype=np.float64)
    var = tg.Tensor(np.abs(data.draw(arrays((c,)))) + 0.5, dtype=np.float64)
    w, b = data.draw(arrays((c,))), data.draw(arrays((c,)))
    gradcheck(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), [x, w, b])


def test_running_statistics_follow_pytorch_momentum_and_unbiased_variance():
    x = np.random.default_rng(0).standard_normal((8, 2, 3, 3)).astype(np.float32)
    rm, rv = tg.zeros(2), tg.ones(2)
    F.batch_norm(tg.Tensor(x), rm, rv, training=True, momentum=0.1)
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * var, rtol=1e-5)


def test_batch_norm_train_returns_the_statistics_of_its_one_kernel_call(monkeypatch):
    from tinygrad_cnn.backends import get_backend
    from tinygrad_cnn.ops.norm import batch_norm_train

    be, calls = get_backend("cpu"), []
    kernel = be.batch_norm_train_forward
    monkeypatch.setattr(be, "batch_norm_train_forward",
                        lambda *a: calls.append(1) or kernel(*a))
    x = np.random.default_rng(1).standard_normal((5, 3, 2, 4)).astype(np.float32)
    for grad in (True, False):
        calls.clear()
        with tg.enable_grad() if grad else tg.no_grad():
            w = tg.Tensor(np.ones(3), requires_grad=True)
            y, mean, var = batch_norm_train(tg.Tensor(x), w, tg.zeros(3), eps=1e-5)
        assert len(calls) == 1 and y.requires_grad == grad
        assert not mean.requires_grad and not var.requires_grad
        np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(var.numpy(), x.var(axis=(0, 2, 3), ddof=1), rtol=1e-5)
    rm, rv = tg.zeros(3), tg.ones(3)
    calls.clear()
    with tg.no_grad():       # the running update no longer runs the kernel a second time
        F.batch_norm(tg.Tensor(x), rm, rv, training=True)
    assert len(calls) == 1


def test_running_statistics_are_the_same_with_and_without_a_graph():
    x = np.random.default_rng(2).standard_normal((6, 4, 3, 3)).astype(np.float32)
    runs = []
    for grad in (True, False):
        rm, rv = tg.zeros(4), tg.ones(4)
        w = tg.Tensor(np.ones(4), requires_grad=True)
        with tg.enable_grad() if grad else tg.no_grad():
            for k in range(3):
                F.batch_norm(tg.Tensor(x + k), rm, rv, w, None, training=True, momentum=0.2)
        runs.append((rm.numpy(), rv.numpy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
