"""Gradient and value properties of sum, mean and max."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import arrays, gradcheck, unique_arrays

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def shape_and_dims(draw):
    shape = draw(shapes)
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape),
                         unique_by=lambda d: d % len(shape)))
    return shape, (tuple(dims) or None), draw(st.booleans())


@given(spec=shape_and_dims(), data=st.data())
def test_sum_and_mean(spec, data):
    shape, dims, keepdim = spec
    x = data.draw(arrays(shape))
    axes = None if dims is None else tuple(d % len(shape) for d in dims)
    np.testing.assert_allclose(tg.Tensor(x, dtype=np.float64).sum(dims, keepdim).numpy(),
                               x.sum(axis=axes, keepdims=keepdim), atol=1e-12)
    np.testing.assert_allclose(tg.Tensor(x, dtype=np.float64).mean(dims, keepdim).numpy(),
                               x.mean(axis=axes, keepdims=keepdim), atol=1e-12)
    gradcheck(lambda t: t.sum(dims, keepdim), [x])
    gradcheck(lambda t: t.mean(dims, keepdim), [x])


@given(spec=shape_and_dims(), data=st.data())
def test_max_with_unique_values(spec, data):
    shape, dims, keepdim = spec
    x = data.draw(unique_arrays(shape))
    axes = None if dims is None else tuple(d % len(shape) for d in dims)
    np.testing.assert_array_equal(tg.Tensor(x, dtype=np.float64).max(dims, keepdim).numpy(),
                                  x.max(axis=axes, keepdims=keepdim))
    gradcheck(lambda t: t.max(dims, keepdim), [x])


def test_tied_maxima_share_the_gradient():
    x = tg.Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])


def test_out_of_range_dim_is_named():
    import pytest
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        tg.zeros(2, 2).sum(3)
