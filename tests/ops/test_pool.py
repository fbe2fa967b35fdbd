"""Pooling: gradients over drawn geometry (unique values for max) and the 4x4 example."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, gradcheck, pool_geometries, unique_arrays


@given(g=pool_geometries(), data=st.data())
def test_max_pool_gradients(g, data):
    x = data.draw(unique_arrays(g.shape))
    gradcheck(lambda t: F.max_pool2d(t, g.kernel, g.stride, g.padding), [x], eps=1e-4)


@given(g=pool_geometries(), include=st.booleans(), data=st.data())
def test_avg_pool_gradients(g, include, data):
    x = data.draw(arrays(g.shape))
    gradcheck(lambda t: F.avg_pool2d(t, g.kernel, g.stride, g.padding, include), [x])


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
       size=st.tuples(st.integers(1, 4), st.integers(1, 4)), data=st.data())
def test_adaptive_avg_pool_gradients(shape, size, data):
    x = data.draw(arrays(shape))
    gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), [x])


def test_max_pool_2x2_stride_2_of_4x4_gives_the_maxima():
    """Section 3: each 2x2 window keeps its largest value."""
    x = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [3, 1, 1, 2], [0, 2, 5, 4]], np.float32)
    out = F.max_pool2d(tg.Tensor(x.reshape(1, 1, 4, 4)), kernel_size=2, stride=2)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[4, 2], [3, 5]])


def test_window_larger_than_input_is_refused():
    with pytest.raises(ValueError, match=r"max_pool2d: window 3x3 is larger than the padded input 2x2"):
        F.max_pool2d(tg.zeros(1, 1, 2, 2), 3)
