"""Implicit-GEMM convolution passes against a direct numpy convolution (and PyTorch)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

# (N, C, H, W, O, kernel, stride, padding, dilation, groups, dtype, bias)
CASES = [
    (2, 3, 6, 6, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, np.float32, True),   # split weight-grad sum
    (1, 4, 7, 7, 6, (3, 3), (2, 2), (1, 1), (2, 2), 2, np.float32, False),  # groups, dilation
    (2, 2, 5, 5, 3, (2, 2), (3, 3), (0, 0), (1, 1), 1, np.float32, True),   # stride > kernel
    (1, 4, 5, 6, 4, (3, 3), (1, 1), (1, 1), (1, 1), 4, np.float64, True),   # depthwise
    (2, 5, 3, 3, 7, (1, 1), (1, 1), (0, 0), (1, 1), 1, np.float32, True),   # 1x1
    (1, 2, 6, 7, 3, (2, 3), (2, 1), (1, 0), (1, 2), 1, np.float64, False),  # rectangular
]


def _run(be, ref, n, c, h, w, o, k, s, p, d, g, dtype, bias):
    rng = np.random.default_rng(n * 100 + c * 10 + o)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // g) + k).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    y = be.conv2d_forward(be.from_numpy(x), be.from_numpy(wt),
                          None if b is None else be.from_numpy(b), s, p, d, g)
    expect = ref.conv2d(x, wt, b, s, p, d, g)
    assert y.shape == expect.shape
    np.testing.assert_allclose(be.to_numpy(y), expect, **ref.tol(dtype))
    gy = rng.standard_normal(expect.shape).astype(dtype)
    dx = be.conv2d_backward_input(be.from_numpy(gy), be.from_numpy(wt), x.shape, s, p, d, g)
    dw = be.conv2d_backward_weight(be.from_numpy(gy), be.from_numpy(x), wt.shape, s, p, d, g)
    dx_ref, dw_ref = ref.conv2d_grads(x, wt, gy, s, p, d, g)
    np.testing.assert_allclose(be.to_numpy(dx), dx_ref, **ref.tol(dtype))
    np.testing.assert_allclose(be.to_numpy(dw), dw_ref, **ref.tol(dtype))
    assert be.to_numpy(dx).dtype == dtype and be.to_numpy(dw).dtype == dtype


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_conv_passes(be, ref, case):
    _run(be, ref, *case)


@settings(max_examples=4)
@given(st.data())
def test_conv_random_geometry(be, ref, data):
    # Valid by construction: draw the kernel geometry, then an input that fits it.
    k = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    s = data.draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    d = data.draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    p = tuple(data.draw(st.integers(0, (kk - 1) * dd)) for kk, dd in zip(k, d))
    h, w = ((kk - 1) * dd + 1 + data.draw(st.integers(0, 3)) for kk, dd in zip(k, d))
    g = data.draw(st.sampled_from([1, 2]))
    _run(be, ref, 1, 2 * g, h, w, g * data.draw(st.integers(1, 2)), k, s, p, d, g, np.float64,
         data.draw(st.booleans()))


def _naive_conv(x, w, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((n, o, oh, ow))
    for b, f, i, j, ci, a, e in np.ndindex(n, o, oh, ow, cg, kh, kw):
        r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
        if 0 <= r < h and 0 <= q < wd:
            out[b, f, i, j] += x[b, f // (o // g) * cg + ci, r, q] * w[f, ci, a, e]
    return out


def test_reference_is_a_convolution_and_its_adjoint(ref):
    # The numpy reference itself: forward against the definition, gradients by the adjoint
    # identities <dx, v> = <conv(v, w), gy> and <dw, u> = <conv(x, u), gy> (conv is bilinear).
    rng = np.random.default_rng(0)
    geo = ((2, 1), (1, 1), (1, 2), 2)
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2))
    y = ref.conv2d(x, w, None, *geo)
    np.testing.assert_allclose(y, _naive_conv(x, w, *geo), rtol=1e-12, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    dx, dw = ref.conv2d_grads(x, w, gy, *geo)
    v, u = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    np.testing.assert_allclose(np.sum(dx * v), np.sum(ref.conv2d(v, w, None, *geo) * gy),
                               rtol=1e-12)
    np.testing.assert_allclose(np.sum(dw * u), np.sum(ref.conv2d(x, u, None, *geo) * gy),
                               rtol=1e-12)


def test_weight_gradient_split_sum_is_used_and_exact(be, ref, monkeypatch):
    # A long batch x pixel sum over a small weight is split across blocks into pooled
    # partial slices; the result must not depend on the split.
    import tinygrad_cnn.backends.cuda.conv as conv
    taken = []
    real_take = conv.scratch.take
    monkeypatch.setattr(conv.scratch, "take", lambda *a: taken.append(a) or real_take(*a))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 1, 8, 8))
    gy = rng.standard_normal((2, 2, 8, 8))
    dw = be.conv2d_backward_weight(be.from_numpy(gy), be.from_numpy(x), (2, 1, 3, 3), (1, 1),
                                   (1, 1), (1, 1), 1)
    assert taken and taken[0][0][0] > 1  # (splits, O, C*KH*KW) partials
    _, dw_ref = ref.conv2d_grads(x, np.zeros((2, 1, 3, 3)), gy, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(be.to_numpy(dw), dw_ref, rtol=1e-12, atol=1e-12)
