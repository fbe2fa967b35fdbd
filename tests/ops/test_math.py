"""Hypothesis gradient checks (float64 central differences) of the newer ops, with drawn
shapes that include 0-size dimensions and broadcasting."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, gradcheck

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=3).map(lambda b: b.input_shapes)


def away(a, *kinks, gap=0.05):
    """Move values within ``gap`` of a kink (where a derivative jumps) off it."""
    a = np.array(a, dtype=np.float64)
    for k in kinks:
        near = np.abs(a - k) < gap
        a[near] = k + 2 * gap
    return a


@given(shape=shapes, data=st.data())
def test_unary_ops(shape, data):
    x = away(data.draw(arrays(shape)), 0.0, -0.5, 0.7)
    gradcheck(lambda t: t.abs(), [x])
    gradcheck(lambda t: t.square(), [x])
    gradcheck(lambda t: t.clamp(-0.5, 0.7), [x])
    gradcheck(lambda t: t.erf(), [x])
    gradcheck(lambda t: t.masked_fill(t > 0.3, 1.5), [away(x, 0.3)])
    gradcheck(lambda t: t.flip(0), [x])
    gradcheck(lambda t: t.clone() * 2, [x])
    gradcheck(lambda t: t.cumsum(-1), [x])
    gradcheck(lambda t: t.repeat((2,) + (1,) * (len(shape) - 1)), [x])


@given(shape=shapes, data=st.data())
def test_activations(shape, data):
    x = away(data.draw(arrays(shape, low=-4, high=4)), 0.0, 6.0, -3.0, 3.0)
    for fn in (F.elu, F.gelu, F.silu, F.relu6, F.hardswish, F.softplus, F.mish,
               lambda t: F.gelu(t, approximate="tanh")):
        gradcheck(fn, [x])


@given(shapes=pairs, data=st.data())
def test_broadcasting_binary_ops(shapes, data):
    sa, sb = shapes
    a = away(data.draw(arrays(sa)), 0.0)
    b = away(data.draw(arrays(sb)), 0.0)
    cond = data.draw(hnp.arrays(np.bool_, sa))
    gradcheck(lambda x, y: tg.where(tg.tensor(cond), x, y), [a, b])
    gradcheck(lambda x, y: x.minimum(y), [a, b + 0.013])
    gradcheck(lambda x, y: x ** y, [np.abs(a) + 0.5, b])
    x, y = np.broadcast_arrays(a * 3 + 0.011, np.abs(b) + 0.5)
    q = x / y  # x % y jumps where x / y is a whole number: keep the quotient off them
    x = y * (np.floor(q) + np.clip(q - np.floor(q), 0.1, 0.9))
    gradcheck(lambda x, y: x % y, [np.ascontiguousarray(x), np.abs(b) + 0.5])


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_reductions_and_selection(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = int(np.prod(shape))
    x = (np.random.default_rng(n).permutation(n).reshape(shape) - n / 2) * 0.1 + 0.05
    gradcheck(lambda t: t.prod(d), [x])
    gradcheck(lambda t: t.logsumexp(d), [x])
    gradcheck(lambda t: t.std(d) if shape[d] > 1 else t.sum(d), [x])
    gradcheck(lambda t: t.max(d).values, [x])
    gradcheck(lambda t: t.min(d, keepdim=True).values, [x])
    gradcheck(lambda t: t.sort(d, descending=True).values, [x])
    gradcheck(lambda t: t.topk(1, d).values, [x])
    idx = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, shape[d] - 1)))
    gradcheck(lambda t: t.gather(d, tg.tensor(idx)), [x])
    k = data.draw(st.integers(1, 3))
    gradcheck(lambda t: tg.cat(list(t.chunk(k, d)) + [t], d), [x])
    gradcheck(lambda t: tg.stack([t, t * 2], d), [x])


@given(n=st.integers(0, 2), c=st.integers(1, 3), h=st.integers(1, 5), w=st.integers(1, 5),
       data=st.data())
def test_spatial_ops(n, c, h, w, data):
    x = data.draw(arrays((n, c, h, w)))
    uniq = (np.random.default_rng(h * w).permutation(n * c * h * w).reshape(n, c, h, w)
            * 0.01)
    gradcheck(lambda t: F.interpolate(t, size=(h + 1, 2 * w)), [x])
    gradcheck(lambda t: F.interpolate(t, size=(2 * h, w + 1), mode="bilinear"), [x])
    gradcheck(lambda t: F.adaptive_max_pool2d(t, (min(h, 2), min(w, 3))), [uniq])
    if h >= 2 and w >= 2:
        gradcheck(lambda t: F.max_pool2d(t, 2, 1, dilation=1, ceil_mode=True), [uniq])
    gradcheck(lambda t: F.layer_norm(t, (h, w)) if h * w > 1 else t * 1, [x + uniq])
    gradcheck(lambda t: F.group_norm(t, 1) if c * h * w > 1 else t * 1, [x + uniq])
    wt = data.draw(arrays((c, 2, 2, 2)))
    gradcheck(lambda t, k: F.conv_transpose2d(t, k, stride=2), [x, wt])
