"""Gradient properties of broadcasting arithmetic and activations (float64 central differences)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, broadcastable_shapes, gradcheck

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: a.maximum(b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_broadcasting_binary_gradients(name, data):
    sa, sb = data.draw(broadcastable_shapes())
    low = 0.5 if name in ("div", "pow") else -2.0      # keep b away from 0 and a > 0 for pow
    a = data.draw(arrays(sa, low=low if name == "pow" else -2.0))
    b = data.draw(arrays(sb, low=low))
    if name == "maximum":       # a on a grid of halves, b between: never tied (no derivative)
        a, b = np.round(a * 2) / 2, np.round(b * 2) / 2 + 0.25
    gradcheck(BINARY[name], [a, b])


UNARY = {
    "neg": (lambda x: -x, -2.0),
    "exp": (lambda x: x.exp(), -2.0),
    "log": (lambda x: x.log(), 0.2),
    "sqrt": (lambda x: x.sqrt(), 0.2),
    "sigmoid": (lambda x: x.sigmoid(), -4.0),
    "tanh": (lambda x: x.tanh(), -2.0),
    "relu": (lambda x: x.relu(), -2.0),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), -2.0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(x=st.integers(0, 3).flatmap(lambda n: arrays((n + 1, 3), low=-2.0)))
def test_unary_gradients(name, x):
    fn, low = UNARY[name]
    if low > 0:
        x = np.abs(x) + low
    if name in ("relu", "leaky_relu"):
        x = np.where(np.abs(x) < 1e-3, 0.5, x)          # the kink at 0 has no derivative
    gradcheck(fn, [x])


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("reverse", [False, True])
def test_scalar_operands_on_either_side(op, reverse):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3))
    c = 1.7
    fns = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b, "**": lambda a, b: a ** b}
    fn = (lambda t: fns[op](c, t)) if reverse else (lambda t: fns[op](t, c))
    gradcheck(fn, [x])
    expected = fns[op](c, x) if reverse else fns[op](x, c)
    np.testing.assert_allclose(fn(tg.Tensor(x, dtype=np.float64)).numpy(), expected)


def test_sigmoid_does_not_overflow():
    out = tg.Tensor([-1000.0, 0.0, 1000.0]).sigmoid().numpy()
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
    assert np.isfinite(out).all()


def test_relu_keeps_nan_like_pytorch():
    out = tg.Tensor([np.nan, -1.0, 2.0]).relu().numpy()
    assert np.isnan(out[0]) and out[1] == 0 and out[2] == 2
