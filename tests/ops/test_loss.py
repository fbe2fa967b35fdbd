"""Softmax, log-softmax, cross-entropy and NLL: gradients and numerical stability."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, gradcheck


@given(shape=st.sampled_from([(3, 4), (2, 3, 2), (5,)]), dim=st.integers(-1, 0), data=st.data())
def test_softmax_and_log_softmax_gradients(shape, dim, data):
    x = data.draw(arrays(shape, low=-5, high=5))
    gradcheck(lambda t: F.softmax(t, dim), [x])
    gradcheck(lambda t: F.log_softmax(t, dim), [x])


@given(n=st.integers(1, 4), c=st.integers(1, 5), smoothing=st.sampled_from([0.0, 0.1]),
       reduction=st.sampled_from(["mean", "sum", "none"]), data=st.data())
def test_cross_entropy_gradients(n, c, smoothing, reduction, data):
    x = data.draw(arrays((n, c), low=-5, high=5))
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    gradcheck(lambda t: F.cross_entropy(t, target, reduction=reduction, label_smoothing=smoothing), [x])
    gradcheck(lambda t: F.nll_loss(F.log_softmax(t, 1), target, reduction=reduction), [x])


def test_cross_entropy_over_spatial_dimensions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2, 2))
    target = rng.integers(0, 3, (2, 2, 2))
    gradcheck(lambda t: F.cross_entropy(t, target), [x])


def test_log_softmax_is_stable_for_huge_logits():
    out = F.log_softmax(tg.Tensor([[1000.0, 0.0, -1000.0]]), 1).numpy()
    assert np.isfinite(out[0, :2]).all()
    np.testing.assert_allclose(out[0, :2], [0.0, -1000.0])


def test_cross_entropy_of_uniform_logits_is_log_classes():
    assert F.cross_entropy(tg.zeros(3, 10), [1, 2, 3]).item() == pytest.approx(np.log(10), rel=1e-6)


def test_target_errors_are_readable():
    with pytest.raises(ValueError, match=r"target 5 is out of range for 3 classes"):
        F.cross_entropy(tg.zeros(2, 3), [0, 5])
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(tg.zeros(2, 3), tg.Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match input \(2, 3\)"):
        F.cross_entropy(tg.zeros(2, 3), [0, 1, 2])
