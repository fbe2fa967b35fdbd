"""Elementwise kernels against numpy, with broadcasting, in float32 and float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

FLOATS = [np.float32, np.float64]
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "maximum": np.maximum, "eq": lambda a, b: (a == b).astype(a.dtype)}


def _pair(rng, sa, sb, dtype, positive=False):
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    if positive:
        a, b = np.abs(a) + 0.5, np.abs(b) + 0.5
    return a, b


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY) + ["pow"])
@pytest.mark.parametrize("sa,sb", [((3, 5), (3, 5)), ((2, 3, 4), (3, 1)), ((1, 4), (3, 1)),
                                   ((2, 1, 3), ())])
def test_binary_broadcast(be, ref, name, dtype, sa, sb):
    rng = np.random.default_rng(len(name))
    a, b = _pair(rng, sa, sb, dtype, positive=name == "pow")
    if name == "eq":
        b = np.broadcast_to(a, np.broadcast_shapes(sa, sb))[tuple(slice(0, n) for n in sb)] \
            if sb and all(x == y for x, y in zip(sa[-len(sb):], sb)) else b
        b = np.ascontiguousarray(b)
    expect = np.power(a, b) if name == "pow" else BINARY[name](a, b)
    out = be.to_numpy(be.binary(name, be.from_numpy(a), be.from_numpy(b)))
    assert out.dtype == dtype and out.shape == expect.shape
    np.testing.assert_allclose(out, expect, **ref.tol(dtype))


@settings(max_examples=6)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_broadcast_any_ranks(be, shape, data):
    # b takes each axis of a, or 1, and may drop leading axes.
    sb = [data.draw(st.sampled_from([n, 1])) for n in shape]
    sb = sb[data.draw(st.integers(0, len(sb))):]
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    b = np.arange(np.prod(sb, dtype=int), dtype=np.float64).reshape(sb) * 10
    np.testing.assert_array_equal(be.to_numpy(be.sub(be.from_numpy(b), be.from_numpy(a))), b - a)


def test_maximum_propagates_nan(be):
    a = np.array([np.nan, 1.0, 2.0], np.float32)
    b = np.array([0.0, np.nan, 1.0], np.float32)
    np.testing.assert_array_equal(be.to_numpy(be.maximum(be.from_numpy(a), be.from_numpy(b))),
                                  np.maximum(a, b))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,fn", [("+", np.add), ("-", np.subtract), ("*", np.multiply),
                                   ("/", np.divide), ("**", np.power), ("max", np.maximum)])
@pytest.mark.parametrize("reverse", [False, True])
def test_scalar_op(be, ref, dtype, op, fn, reverse):
    a = np.linspace(0.5, 3, 10).astype(dtype).reshape(2, 5)
    value = 1.75
    expect = fn(dtype(value), a) if reverse else fn(a, dtype(value))
    out = be.to_numpy(be.scalar_op(be.from_numpy(a), op, value, reverse))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expect, **ref.tol(dtype))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,positive", [
    ("neg", np.negative, False), ("exp", np.exp, False), ("log", np.log, True),
    ("sqrt", np.sqrt, True), ("sigmoid", _sigmoid, False), ("tanh", np.tanh, False),
    ("relu", lambda x: np.maximum(x, 0), False)])
def test_unary(be, ref, dtype, name, fn, positive):
    x = np.linspace(-4, 4, 23).astype(dtype).reshape(23, 1)
    if positive:
        x = np.abs(x) + 0.1
    out = be.to_numpy(be.unary(name, be.from_numpy(x)))
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out, fn(x.astype(np.float64)), **ref.tol(dtype))


def test_sigmoid_saturates_without_overflow(be):
    x = np.array([-100.0, -30.0, 0.0, 30.0, 100.0], np.float32)
    out = be.to_numpy(be.sigmoid(be.from_numpy(x)))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, _sigmoid(x.astype(np.float64)), rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_family_and_backward(be, dtype):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], dtype)
    g = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype)
    dx, dg = be.from_numpy(x), be.from_numpy(g)
    out = be.relu(dx)
    np.testing.assert_array_equal(be.to_numpy(be.relu_backward(dg, out)), g * (x > 0))
    np.testing.assert_allclose(be.to_numpy(be.leaky_relu(dx, 0.1)), np.where(x > 0, x, 0.1 * x),
                               rtol=1e-6)
    np.testing.assert_allclose(be.to_numpy(be.leaky_relu_backward(dg, dx, 0.1)),
                               np.where(x > 0, g, 0.1 * g), rtol=1e-6)


def test_result_dtype_follows_a(be):
    a = be.from_numpy(np.ones(3, np.float32))
    b = be.from_numpy(np.full(3, 2.0, np.float64))
    out = be.to_numpy(be.mul(a, b))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2, 2, 2])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "maximum", "eq"])
def test_int64_binary_ops(be, name):
    a = np.array([[3, -1, 4], [1, 5, -9]], np.int64)
    b = np.array([1, -1, 7], np.int64)
    expect = BINARY[name](a, b)
    out = be.to_numpy(be.binary(name, be.from_numpy(a), be.from_numpy(b)))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, expect)
    np.testing.assert_array_equal(be.to_numpy(be.scalar_op(be.from_numpy(a), "*", 3)), a * 3)


def test_relu_passes_nan_like_the_cpu(be):
    out = be.to_numpy(be.relu(be.from_numpy(np.array([np.nan, -1.0, 2.0], np.float32))))
    assert np.isnan(out[0]) and out[1] == 0 and out[2] == 2
