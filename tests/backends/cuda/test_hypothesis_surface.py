"""Drawn-shape checks of the tensor surface on CUDA (simulator): forward results and
gradients equal the CPU backend's (whose gradients the CPU hypothesis suite checks against
finite differences), with 0-size dimensions and broadcasting. Small shapes and few examples:
the simulator runs one OS thread per CUDA thread."""
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays

FAST = settings(max_examples=6, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)
nonempty = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=3).map(lambda b: b.input_shapes)
SMALL_INTS = ["uint8", "int8", "int16", "int32", "int64"]


def _run(fn, inputs, device):
    leaves = [tg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in inputs]
    out = fn(*leaves)
    if out.requires_grad:
        up = np.random.default_rng(out.numel()).standard_normal(out.shape).astype(out.dtype)
        out.backward(tg.tensor(up, device=device))
    grads = [None if t.grad is None else t.grad.numpy() for t in leaves]
    return out, grads


def same_on_cuda(fn, inputs, exact=False):
    """``fn`` on CUDA gives the CPU's result, dtype and input gradients."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (c_out, c_grads), (g_out, g_grads) = (_run(fn, inputs, d) for d in ("cpu", "cuda"))
    assert g_out.device == "cuda" and g_out.dtype == c_out.dtype and g_out.shape == c_out.shape
    for got, want in [(g_out.numpy(), c_out.numpy())] + list(zip(g_grads, c_grads)):
        assert (got is None) == (want is None)
        if got is None:
            continue
        if exact or got.dtype.kind != "f":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def away(a, *kinks, gap=0.05):
    a = np.array(a, dtype=np.float64)
    for k in kinks:
        a[np.abs(a - k) < gap] = k + 2 * gap
    return a


@FAST
@given(shape=shapes, data=st.data())
def test_unary_surface(shape, data):
    x = away(data.draw(arrays(shape)), 0.0, -0.5, 0.7)
    mask = data.draw(hnp.arrays(np.bool_, shape))
    same_on_cuda(lambda t: t.abs() + t.sign() + t.square() + t.clamp(-0.5, 0.7) + t.erf(), [x])
    same_on_cuda(lambda t: t.masked_fill(tg.tensor(mask, device=t.device), 1.5).flip(0), [x])
    same_on_cuda(lambda t: t.cumsum(-1) * 2 + t.clone(), [x])
    same_on_cuda(lambda t: t.repeat((2,) + (1,) * (len(shape) - 1)), [x])
    same_on_cuda(lambda t: F.gelu(t) + F.silu(t) + F.elu(t) + F.softplus(t) + F.mish(t)
                 + F.hardswish(t) + F.relu6(t * 4), [x])


@FAST
@given(shapes=pairs, data=st.data())
def test_broadcasting_binary_surface(shapes, data):
    sa, sb = shapes
    a = away(data.draw(arrays(sa)), 0.0)
    b = np.abs(away(data.draw(arrays(sb)), 0.0)) + 0.5
    cond = data.draw(hnp.arrays(np.bool_, sa))
    same_on_cuda(lambda x, y: tg.where(tg.tensor(cond, device=x.device), x, y), [a, b])
    same_on_cuda(lambda x, y: x.minimum(y) + x.maximum(y) + (x - y) * (x / y), [a, b])
    same_on_cuda(lambda x, y: y ** x + x % y + x // y, [a, b])
    same_on_cuda(lambda x, y: ((x < y) ^ (x >= 0.3)) | ~(x == y * 2), [a, b])
    same_on_cuda(lambda x, y: F.mse_loss(x, x * 0.5 + 0.1) + F.l1_loss(x, x * 0.5)
                 + F.smooth_l1_loss(x, x * 0.3) * y.sum(), [a, b])


@FAST
@given(shape=nonempty, data=st.data())
def test_selection_scans_and_reductions(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = int(np.prod(shape))
    x = (np.random.default_rng(n).permutation(n).reshape(shape) - n / 2) * 0.1 + 0.05
    ties = np.round(x * 3) / 3            # repeated values: stable order and first-index rules
    same_on_cuda(lambda t: t.prod(d) + t.logsumexp(d) + t.max(d).values + t.min(d).values, [x])
    same_on_cuda(lambda t: t.sort(d, descending=True).values + t.sort(d).values, [ties])
    same_on_cuda(lambda t: t.sort(d).indices * 1 + t.argmax(d, keepdim=True)
                 + t.argmin(d, keepdim=True), [ties])
    same_on_cuda(lambda t: t.topk(min(2, shape[d]), d).values, [x])
    idx = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-shape[d], shape[d] - 1)))
    same_on_cuda(lambda t: t.gather(d, tg.tensor(idx, device=t.device)), [x])
    rows = data.draw(hnp.arrays(np.int64, data.draw(hnp.array_shapes(min_dims=1, max_dims=2,
                                                                     min_side=0, max_side=3)),
                                elements=st.integers(-shape[0], shape[0] - 1)))
    same_on_cuda(lambda t: t[tg.tensor(rows, device=t.device)], [x])
    k = data.draw(st.integers(1, 3))
    same_on_cuda(lambda t: tg.cat(list(t.chunk(k, d)) + [t], d) * 1.5, [x])
    same_on_cuda(lambda t: tg.stack([t, t * 2], d).std(d), [x])
    same_on_cuda(lambda t: (t > 0).all(d).long() + (t > 0.2).any(d).long(), [x])


@FAST
@given(shape=shapes, dt=st.sampled_from(SMALL_INTS), data=st.data())
def test_integer_arithmetic_and_scans(shape, dt, data):
    info = np.iinfo(dt)
    ints = hnp.arrays(dt, shape, elements=st.integers(int(info.min), int(info.max)))
    a, b = data.draw(ints), data.draw(ints)
    b = np.where(b == 0, 1, b).astype(dt)
    e = data.draw(hnp.arrays(dt, shape, elements=st.integers(0, 9)))
    same_on_cuda(lambda x, y: x + y, [a, b])
    same_on_cuda(lambda x, y: (x < y).long() + (x == 3) + (y != x.flip(0)), [a, b])
    same_on_cuda(lambda x, y: x - y * y, [a, b])
    same_on_cuda(lambda x, y: x // y + x % y, [a, b])
    same_on_cuda(lambda x: -x + x.abs() * x.sign() + x * 3 + x.clamp(-5, 5), [a])
    same_on_cuda(lambda x, y: x ** y, [a, e])
    same_on_cuda(lambda x: x.cumsum(0) + x.flip(0), [a])
    if a.size:
        same_on_cuda(lambda x: x.prod(0).sum() + x.max() + x.sort(0).values.sum(), [a])
        same_on_cuda(lambda x: F.one_hot(x.long() % 4, 4), [a])
