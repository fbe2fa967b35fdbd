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
