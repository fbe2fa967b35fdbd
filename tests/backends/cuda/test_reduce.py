"""Sum and max over arbitrary axes against numpy, covering both reduction kernels."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axes", [
    ((3, 4, 5), (1,)), ((3, 4, 5), (0, 2)), ((3, 4, 5), (-1,)), ((3, 4, 5), (0, 1, 2)),
    ((2, 3, 4, 5), (0, 2, 3)),        # batch-norm / bias-gradient layout
    ((70, 3), (0,)),                  # long column sums: thread-per-output kernel
    ((3, 70), (1,)),                  # long row sums: block-per-output tree
    ((5,), ()), ((), ()),
])
def test_sum_and_max(be, ref, dtype, keepdims, shape, axes):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape).astype(dtype)
    d = be.from_numpy(a)
    for name, fn in (("sum", np.sum), ("max", np.max)):
        out = be.to_numpy(getattr(be, name)(d, axes, keepdims))
        expect = fn(a, axis=axes, keepdims=keepdims)
        assert out.dtype == dtype and out.shape == expect.shape, name
        np.testing.assert_allclose(out, expect, **ref.tol(dtype))


@settings(max_examples=8)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_sum_any_axes(be, shape, data):
    axes = tuple(data.draw(st.sets(st.integers(0, len(shape) - 1))))
    keepdims = data.draw(st.booleans())
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) - 3
    out = be.to_numpy(be.sum(be.from_numpy(a), axes, keepdims))
    np.testing.assert_array_equal(out, np.sum(a, axis=axes, keepdims=keepdims))


def test_max_propagates_nan_and_handles_all_negative(be):
    a = np.array([[-5.0, -2.0, -7.0], [1.0, np.nan, 0.0]], np.float32)
    np.testing.assert_array_equal(be.to_numpy(be.max(be.from_numpy(a), (1,), False)),
                                  [-2.0, np.nan])


def test_long_sum_is_exact_in_float64(be):
    a = np.ones(1000)
    assert be.to_numpy(be.sum(be.from_numpy(a), (0,), False)) == 1000.0


@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1)])
def test_int64_sum_and_max(be, axes):
    a = (np.arange(12) * 7 % 5 - 9).reshape(3, 4).astype(np.int64)
    d = be.from_numpy(a)
    for name, fn in (("sum", np.sum), ("max", np.max)):
        out = be.to_numpy(getattr(be, name)(d, axes, False))
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, fn(a, axis=axes))
