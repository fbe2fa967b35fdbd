"""The direct convolution by kernel taps against the im2col path and a float64 reference."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.backends._geometry import out_size
from tinygrad_cnn.backends.cpu import conv, direct


def _rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


@st.composite
def geometries(draw):
    """Any stride, padding, dilation and kernel on small images, batch 1-3, 1-6 channels."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return n, c, h, w, o, (kh, kw), (sh, sw), (ph, pw), (dh, dw)


def _arrays(geom, dtype, seed=0):
    n, c, h, w, o, (kh, kw), stride, padding, dilation = geom
    oh = out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = out_size(w, kw, stride[1], padding[1], dilation[1])
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c, h, w)).astype(dtype),
            rng.standard_normal((o, c, kh, kw)).astype(dtype),
            rng.standard_normal(o).astype(dtype),
            rng.standard_normal((n, o, oh, ow)).astype(dtype))


def _passes(x, w, b, go, stride, padding, dilation, plan=None, relu=False):
    return (conv.conv2d_forward(x, w, b, stride, padding, dilation, 1, relu=relu, plan=plan),
            conv.conv2d_backward_input(go, w, x.shape, stride, padding, dilation, 1, plan=plan),
            conv.conv2d_backward_weight(go, x, w.shape, stride, padding, dilation, 1, plan=plan))


@settings(max_examples=60, deadline=None)
@given(geometries(), st.booleans(), st.booleans())
def test_matches_im2col_for_any_geometry(geom, with_plan, relu):
    """Every pass, with and without the forward pass's plan, against im2col in float64."""
    x, w, b, go = _arrays(geom, np.float64)
    hyper = geom[-3:]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TGCNN_CONV_ALGO", "im2col")
        expected = _passes(x, w, b, go, *hyper, relu=relu)
        mp.setenv("TGCNN_CONV_ALGO", "direct")
        assert conv.conv_algorithm("forward", x.shape, w.shape, *hyper, 1) == "direct"
        got = _passes(x, w, b, go, *hyper, plan={} if with_plan else None, relu=relu)
    for a, e in zip(got, expected):
        assert a.shape == e.shape and a.dtype == np.float64
        assert _rel(a, e) < 1e-12


@pytest.mark.parametrize("c, o, hw", [(512, 512, 2), (256, 512, 1), (128, 256, 3)])
def test_vgg_scale_float32_error_within_parity_tolerance(c, o, hw):
    """Float32 against float64 at VGG-like widths: well inside the ~1e-4 relative tolerance."""
    geom = (4, c, hw, hw, o, (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, b, go = _arrays(geom, np.float32, seed=1)
    x64, w64, b64, go64 = (a.astype(np.float64) for a in (x, w, b, go))
    hyper = geom[-3:]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TGCNN_CONV_ALGO", "im2col")
        expected = _passes(x64, w64, b64, go64, *hyper)
        mp.setenv("TGCNN_CONV_ALGO", "direct")
        got = _passes(x, w, b, go, *hyper, plan={})
    for a, e in zip(got, expected):
        assert a.dtype == np.float32 and _rel(a, e) < 2e-6


def test_plan_carries_the_tap_filters_and_the_gathered_input(monkeypatch):
    """The forward pass leaves its tap-major filters and gathered input in ``plan``; the
    gradients of the same weight and input use and release them; a plan made for another
    weight or input is not used."""
    monkeypatch.setenv("TGCNN_CONV_ALGO", "direct")
    geom = (2, 5, 3, 2, 4, (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, b, go = _arrays(geom, np.float64)
    hyper = geom[-3:]
    plan: dict = {}
    conv.conv2d_forward(x, w, b, *hyper, 1, plan=plan)
    assert set(plan) == {"direct weight", "direct input"}
    expected = _passes(x, w, b, go, *hyper)
    dx = conv.conv2d_backward_input(go, w, x.shape, *hyper, 1, plan=plan)
    assert set(plan) == {"direct input"}
    dw = conv.conv2d_backward_weight(go, x, w.shape, *hyper, 1, plan=plan)
    assert plan == {}
    assert np.array_equal(dx, expected[1]) and np.array_equal(dw, expected[2])
    other_w, other_x = w[::-1].copy(), x[:, ::-1].copy()
    conv.conv2d_forward(x, w, b, *hyper, 1, plan=plan)
    dx = conv.conv2d_backward_input(go, other_w, x.shape, *hyper, 1, plan=plan)
    assert np.array_equal(dx, _passes(x, other_w, b, go, *hyper)[1])
    dw = conv.conv2d_backward_weight(go, other_x, w.shape, *hyper, 1, plan=plan)
    assert np.array_equal(dw, _passes(other_x, w, b, go, *hyper)[2])


def test_same_bits_for_any_thread_count():
    geom = (9, 40, 2, 2, 36, (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, b, go = _arrays(geom, np.float32)
    old, results = numba.get_num_threads(), []
    try:
        for threads in (1, old):
            numba.set_num_threads(threads)
            plan: dict = {}
            results.append((direct.forward(x, w, b, *geom[-3:], relu=True, plan=plan),
                            direct.backward_input(go, w, x.shape, *geom[-3:], plan=plan),
                            direct.backward_weight(go, x, w.shape, *geom[-3:], plan=plan)))
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(*results):
        assert np.array_equal(a, b_)


def test_relu_keeps_nan_and_zeroes_negatives():
    x = np.array([[[[1.0, np.nan], [-3.0, 0.5]]]], np.float32)
    w = np.ones((2, 1, 1, 1), np.float32)
    w[1] = -1
    out = direct.forward(x, w, None, (1, 1), (0, 0), (1, 1), relu=True)
    assert np.isnan(out[0, 0, 0, 1]) and np.isnan(out[0, 1, 0, 1])
    assert out[0, 0, 1, 0] == 0 and out[0, 1, 1, 0] == 3 and out[0, 1, 0, 0] == 0


def test_auto_picks_direct_where_it_multiplies_least(monkeypatch):
    """Direct where its pairs are at most F(2x2, 3x3)'s 16 multiplies per 2x2 tile."""
    monkeypatch.delenv("TGCNN_CONV_ALGO", raising=False)
    s1 = (1, 1)
    for hw in (1, 2, 3):  # 1, 16, 49 pairs against 16, 16, 64
        geom = ((32, 512, hw, hw), (512, 512, 3, 3), s1, s1, s1, 1)
        assert [conv.conv_algorithm(p, *geom) for p in ("forward", "input grad",
                                                        "weight grad")] == ["direct"] * 3
    assert conv.conv_algorithm("forward", (32, 512, 4, 4), (512, 512, 3, 3), s1, s1, s1, 1) \
        == "winograd4"  # 100 pairs against 64 (F(2x2)) and 36 (F(4x4))
    assert conv.conv_algorithm("forward", (32, 64, 2, 2), (64, 64, 1, 1), s1, (0, 0), s1, 1) \
        == "im2col"  # not a 3x3 convolution: im2col unless asked for


def test_forced_direct_leaves_grouped_convolutions_to_im2col(monkeypatch):
    monkeypatch.setenv("TGCNN_CONV_ALGO", "direct")
    s1 = (1, 1)
    assert conv.conv_algorithm("forward", (2, 4, 5, 5), (4, 2, 3, 3), s1, s1, s1, 2) == "im2col"
