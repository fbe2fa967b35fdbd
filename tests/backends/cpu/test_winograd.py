"""Winograd F(2x2, 3x3) against the im2col path and a float64 reference; algorithm selection."""
import numba
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygrad_cnn.backends.cpu import conv, winograd

S1 = (1, 1)


def ref_forward(x, w, padding):
    """Float64 stride-1 cross-correlation, tap by tap."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh, ow = xp.shape[2] - 2, xp.shape[3] - 2
    return sum(np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
               for i in range(3) for j in range(3))


def ref_backward_weight(go, x, padding):
    """Float64 weight gradient, tap by tap."""
    go, x = go.astype(np.float64), x.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh, ow = go.shape[2:]
    dw = np.empty((go.shape[1], x.shape[1], 3, 3))
    for i in range(3):
        for j in range(3):
            dw[:, :, i, j] = np.einsum("nohw,nchw->oc", go, xp[:, :, i:i + oh, j:j + ow])
    return dw


def ref_backward_input(go, w, x_shape, padding):
    """Float64 input gradient: scatter every tap back onto the padded input."""
    go, w = go.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x_shape
    dxp = np.zeros((n, c, h + 2 * padding[0], wd + 2 * padding[1]))
    oh, ow = go.shape[2:]
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + oh, j:j + ow] += np.einsum("nohw,oc->nchw", go, w[:, :, i, j])
    return dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd]


@st.composite
def geometries(draw):
    """Batch 1-3, 1-7 channels, padding 0-2 per axis, sizes giving outputs of 1-10 (odd ones
    too: not multiples of the 2x2 tile)."""
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h, w = draw(st.integers(max(1, 3 - 2 * ph), 10)), draw(st.integers(max(1, 3 - 2 * pw), 10))
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    return n, c, h, w, o, (ph, pw)


def _arrays(geom, dtype, seed=0):
    n, c, h, w, o, _ = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c, 3, 3)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    return x, wt, b


def _rel(a, ref):
    return float(np.abs(a - ref).max() / max(np.abs(ref).max(), 1e-30))


def _rel_to_terms(a, ref, terms):
    """Error relative to the largest sum of |products| (the scale of a float32 dot product's
    rounding error): outputs that cancel to near zero are not held to a tighter bound than
    the arithmetic can give."""
    return float(np.abs(a - ref).max() / max(np.abs(terms).max(), 1e-30))


@given(geometries())
def test_winograd_matches_im2col_and_float64(geom):
    pad = geom[5]
    x, w, b = _arrays(geom, np.float64)
    ref = ref_forward(x, w, pad) + b.reshape(1, -1, 1, 1)
    im2col = conv.conv2d_forward(x, w, b, S1, pad, S1, 1)
    wino = winograd.forward(x, w, b, *pad)
    assert wino.shape == ref.shape == im2col.shape
    assert _rel(wino, ref) < 1e-13 and _rel(wino, im2col) < 1e-13
    go = np.random.default_rng(1).standard_normal(ref.shape)
    dref = ref_backward_input(go, w, x.shape, pad)
    dwino = winograd.backward_input(go, w, x.shape, *pad)
    assert _rel(dwino, dref) < 1e-13
    assert _rel(dwino, conv.conv2d_backward_input(go, w, x.shape, S1, pad, S1, 1)) < 1e-13
    dwref = ref_backward_weight(go, x, pad)
    assert _rel(winograd.backward_weight(go, x, *pad), dwref) < 1e-13
    assert _rel(conv.conv2d_backward_weight(go, x, w.shape, S1, pad, S1, 1), dwref) < 1e-13
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    terms = ref_forward(np.abs(x), np.abs(w), pad) + np.abs(b).reshape(1, -1, 1, 1)
    assert _rel_to_terms(winograd.forward(x32, w32, b32, *pad), ref, terms) < 2e-6
    assert _rel_to_terms(winograd.forward(x32, w32, b32, *pad, relu=True), np.maximum(ref, 0),
                         terms) < 2e-6


def test_vgg_scale_float32_error_within_parity_tolerance():
    """256 -> 256 channels at 8x8 (a VGG-11 layer, batch 2): float32 Winograd stays about as
    close to float64 as im2col (measured: both ~3e-7 of the largest output)."""
    x, w, _ = _arrays((2, 256, 8, 8, 256, (1, 1)), np.float32)
    w *= 0.05
    ref = ref_forward(x, w, S1)
    assert _rel(winograd.forward(x, w, None, 1, 1), ref) < 1e-5
    assert _rel(conv.conv2d_forward(x, w, None, S1, S1, S1, 1), ref) < 1e-5
    go = np.random.default_rng(2).standard_normal(ref.shape).astype(np.float32)
    assert _rel(winograd.backward_input(go, w, x.shape, 1, 1),
                ref_backward_input(go, w, x.shape, S1)) < 1e-5
    assert _rel(winograd.backward_weight(go, x, 1, 1), ref_backward_weight(go, x, S1)) < 1e-5


def test_result_independent_of_thread_count():
    x, w, b = _arrays((3, 5, 9, 7, 6, (1, 1)), np.float32)
    go = np.random.default_rng(3).standard_normal((3, 6, 9, 7)).astype(np.float32)
    old = numba.get_num_threads()
    try:
        results = []
        for threads in (1, old):
            numba.set_num_threads(threads)
            results.append((winograd.forward(x, w, b, 1, 1),
                            winograd.backward_input(go, w, x.shape, 1, 1),
                            winograd.backward_weight(go, x, 1, 1)))
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(*results):
        assert np.array_equal(a, b_)


@pytest.mark.parametrize("algo, expected", [("im2col", "im2col"), ("winograd", "winograd"),
                                            ("auto", "im2col")])
def test_env_var_selects_algorithm(monkeypatch, algo, expected):
    monkeypatch.setenv("TGCNN_CONV_ALGO", algo)
    geom = ((2, 64, 8, 8), (64, 64, 3, 3), S1, S1, S1, 1)
    assert conv.conv_algorithm("forward", *geom) == expected
    assert conv.conv_algorithm("weight grad", *geom) == ("im2col" if algo == "im2col" else
                                                          "winograd")
    assert conv.conv_algorithm("forward", (2, 4, 8, 8), (4, 4, 3, 3), (2, 2), S1, S1, 1) \
        == "im2col"  # stride 2: Winograd does not apply whatever the variable says


def test_auto_picks_winograd_for_wide_layers(monkeypatch):
    monkeypatch.delenv("TGCNN_CONV_ALGO", raising=False)
    assert conv.conv_algorithm("input grad", (2, 128, 8, 8), (256, 128, 3, 3), S1, S1, S1, 1) \
        == "winograd"
    assert conv.conv_algorithm("weight grad", (2, 64, 8, 8), (128, 64, 3, 3), S1, S1, S1, 1) \
        == "winograd"
    assert conv.conv_algorithm("weight grad", (2, 3, 8, 8), (64, 3, 3, 3), S1, S1, S1, 1) \
        == "im2col"
    assert conv.conv_algorithm("forward", (2, 128, 8, 8), (128, 128, 3, 3), S1, S1, S1, 1) \
        == "im2col"  # C*O/(C+O) = 64 < 80: the transforms do not pay yet
    assert conv.conv_algorithm("weight grad", (2, 64, 8, 8), (64, 64, 3, 3), S1, S1, S1, 1) \
        == "winograd"


def test_forced_winograd_goes_through_conv2d(monkeypatch):
    x, w, b = _arrays((2, 3, 6, 5, 4, (1, 1)), np.float64)
    expected = conv.conv2d_forward(x, w, b, S1, S1, S1, 1)
    monkeypatch.setenv("TGCNN_CONV_ALGO", "winograd")
    assert _rel(conv.conv2d_forward(x, w, b, S1, S1, S1, 1), expected) < 1e-13


def test_bad_env_var_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("TGCNN_CONV_ALGO", "fft")
    with pytest.raises(ValueError, match="TGCNN_CONV_ALGO='fft': expected one of auto, im2col"):
        conv.conv_algorithm("forward", (1, 1, 4, 4), (1, 1, 3, 3), S1, S1, S1, 1)


@st.composite
def geometries4(draw):
    """Like :func:`geometries`, with outputs of 1-14 (not multiples of the 4x4 tile too)."""
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h, w = draw(st.integers(max(1, 3 - 2 * ph), 14)), draw(st.integers(max(1, 3 - 2 * pw), 14))
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    return n, c, h, w, o, (ph, pw)


@given(geometries4())
def test_winograd4_matches_im2col_and_float64(geom):
    pad = geom[5]
    x, w, b = _arrays(geom, np.float64)
    ref = ref_forward(x, w, pad) + b.reshape(1, -1, 1, 1)
    wino = winograd.forward(x, w, b, *pad, tile=4)
    assert wino.shape == ref.shape
    assert _rel(wino, ref) < 1e-13
    assert _rel(wino, conv.conv2d_forward(x, w, b, S1, pad, S1, 1)) < 1e-13
    go = np.random.default_rng(1).standard_normal(ref.shape)
    dref = ref_backward_input(go, w, x.shape, pad)
    assert _rel(winograd.backward_input(go, w, x.shape, *pad, tile=4), dref) < 1e-13
    dwref = ref_backward_weight(go, x, pad)
    assert _rel(winograd.backward_weight(go, x, *pad, tile=4), dwref) < 1e-13
    x32, w32, b32, go32 = (a.astype(np.float32) for a in (x, w, b, go))
    terms = ref_forward(np.abs(x), np.abs(w), pad) + np.abs(b).reshape(1, -1, 1, 1)
    assert _rel_to_terms(winograd.forward(x32, w32, b32, *pad, tile=4), ref, terms) < 1e-5
    assert _rel_to_terms(winograd.forward(x32, w32, b32, *pad, relu=True, tile=4),
                         np.maximum(ref, 0), terms) < 1e-5
    dterms = ref_backward_input(np.abs(go), np.abs(w), x.shape, pad)
    assert _rel_to_terms(winograd.backward_input(go32, w32, x.shape, *pad, tile=4), dref,
                         dterms) < 1e-5
    wterms = ref_backward_weight(np.abs(go), np.abs(x), pad)
    assert _rel_to_terms(winograd.backward_weight(go32, x32, *pad, tile=4), dwref,
                         wterms) < 1e-5


@pytest.mark.parametrize("c, o, hw, n", [(64, 128, 16, 2), (256, 256, 8, 2), (64, 64, 9, 1)])
def test_winograd4_vgg_scale_float32_error_within_parity_tolerance(c, o, hw, n):
    """VGG-scale layers (and a batch-1 size that is no multiple of the tile): float32
    F(4x4, 3x3) against float64, relative to the largest output. Measured: forward 3-6e-6,
    input grad 4-14e-6, weight grad 2-4e-6 (F(2x2, 3x3) and im2col: 2-7e-7; the larger
    constants of B and A cost about a decimal digit), inside the ~1e-4 parity tolerance with
    PyTorch."""
    x, w, _ = _arrays((n, c, hw, hw, o, (1, 1)), np.float32)
    w *= 0.05
    ref = ref_forward(x, w, S1)
    assert _rel(winograd.forward(x, w, None, 1, 1, tile=4), ref) < 4e-5
    go = np.random.default_rng(2).standard_normal(ref.shape).astype(np.float32)
    assert _rel(winograd.backward_input(go, w, x.shape, 1, 1, tile=4),
                ref_backward_input(go, w, x.shape, S1)) < 4e-5
    assert _rel(winograd.backward_weight(go, x, 1, 1, tile=4),
                ref_backward_weight(go, x, S1)) < 4e-5


def test_winograd4_result_independent_of_thread_count():
    x, w, b = _arrays((3, 5, 13, 9, 6, (1, 1)), np.float32)
    go = np.random.default_rng(3).standard_normal((3, 6, 13, 9)).astype(np.float32)
    old = numba.get_num_threads()
    try:
        results = []
        for threads in (1, old):
            numba.set_num_threads(threads)
            results.append((winograd.forward(x, w, b, 1, 1, tile=4),
                            winograd.backward_input(go, w, x.shape, 1, 1, tile=4),
                            winograd.backward_weight(go, x, 1, 1, tile=4)))
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(*results):
        assert np.array_equal(a, b_)


def test_auto_picks_winograd4_for_many_tiles(monkeypatch):
    monkeypatch.delenv("TGCNN_CONV_ALGO", raising=False)
    big = ((32, 64, 16, 16), (128, 64, 3, 3), S1, S1, S1, 1)  # 32 * 4 * 4 = 512 tiles
    assert [conv.conv_algorithm(p, *big) for p in ("forward", "input grad", "weight grad")] \
        == ["winograd4"] * 3
    small = ((32, 512, 4, 4), (512, 512, 3, 3), S1, S1, S1, 1)  # 32 tiles, 36 vs 64 multiplies
    assert conv.conv_algorithm("forward", *small) == "winograd4"
    few = ((16, 512, 4, 4), (512, 512, 3, 3), S1, S1, S1, 1)  # 16 tiles: F(2x2, 3x3)
    assert conv.conv_algorithm("forward", *few) == "winograd"
    tiny = ((32, 512, 2, 2), (512, 512, 3, 3), S1, S1, S1, 1)  # 36 vs 16 multiplies
    assert conv.conv_algorithm("forward", *tiny) == "direct"  # as few, and no transforms
    tie = ((32, 512, 6, 6), (512, 512, 3, 3), S1, S1, S1, 1)  # 4 * 36 vs 9 * 16
    assert conv.conv_algorithm("forward", *tie) == "winograd"
    assert conv.conv_algorithm("forward", (32, 3, 32, 32), (64, 3, 3, 3), S1, S1, S1, 1) \
        == "im2col"


def test_forced_winograd4_goes_through_conv2d(monkeypatch):
    x, w, b = _arrays((2, 3, 6, 5, 4, (1, 1)), np.float64)
    go = np.random.default_rng(4).standard_normal((2, 4, 6, 5))
    expected = (conv.conv2d_forward(x, w, b, S1, S1, S1, 1),
                conv.conv2d_backward_input(go, w, x.shape, S1, S1, S1, 1),
                conv.conv2d_backward_weight(go, x, w.shape, S1, S1, S1, 1))
    monkeypatch.setenv("TGCNN_CONV_ALGO", "winograd4")
    assert conv.conv_algorithm("forward", x.shape, w.shape, S1, S1, S1, 1) == "winograd4"
    got = (conv.conv2d_forward(x, w, b, S1, S1, S1, 1),
           conv.conv2d_backward_input(go, w, x.shape, S1, S1, S1, 1),
           conv.conv2d_backward_weight(go, x, w.shape, S1, S1, S1, 1))
    for a, e in zip(got, expected):
        assert _rel(a, e) < 1e-13


@pytest.mark.parametrize("algo", ["winograd", "winograd4"])
def test_plan_carries_the_transforms_to_the_gradients(monkeypatch, algo):
    """The forward pass leaves its F(2x2, 3x3) weight transform and its transformed input tiles
    in ``plan``; the input gradient of the same weight uses the first (rows and columns 0 and 3
    swapped = the rotated filter's transform), the weight gradient of the same input the
    second; a plan made for another weight or input is not used."""
    monkeypatch.setenv("TGCNN_CONV_ALGO", algo)
    x, w, b = _arrays((2, 5, 7, 6, 4, (1, 1)), np.float64)
    go = np.random.default_rng(5).standard_normal((2, 4, 7, 6))
    plan: dict = {}
    monkeypatch.setattr(winograd, "_FEW_TILES", 0)  # not by filters: the transform is whole
    conv.conv2d_forward(x, w, b, S1, S1, S1, 1, plan=plan)
    assert set(plan) == ({"winograd2", "winograd input"} if algo == "winograd"
                         else {"winograd input"})
    dx = conv.conv2d_backward_input(go, w, x.shape, S1, S1, S1, 1, plan=plan)
    assert set(plan) == {"winograd input"}
    dw = conv.conv2d_backward_weight(go, x, w.shape, S1, S1, S1, 1, plan=plan)
    assert plan == {}  # released once used
    assert _rel(dx, ref_backward_input(go, w, x.shape, S1)) < 1e-13
    assert _rel(dw, ref_backward_weight(go, x, S1)) < 1e-13
    other_w, other_x = w[::-1].copy(), x[:, ::-1].copy()
    conv.conv2d_forward(x, w, b, S1, S1, S1, 1, plan=plan)
    dx = conv.conv2d_backward_input(go, other_w, x.shape, S1, S1, S1, 1, plan=plan)
    assert _rel(dx, ref_backward_input(go, other_w, x.shape, S1)) < 1e-13
    dw = conv.conv2d_backward_weight(go, other_x, w.shape, S1, S1, S1, 1, plan=plan)
    assert _rel(dw, ref_backward_weight(go, other_x, S1)) < 1e-13


@pytest.mark.parametrize("algo", ["winograd", "winograd4"])
def test_plan_result_independent_of_thread_count(monkeypatch, algo):
    monkeypatch.setenv("TGCNN_CONV_ALGO", algo)
    x, w, b = _arrays((3, 6, 9, 7, 5, (1, 1)), np.float32)
    go = np.random.default_rng(6).standard_normal((3, 5, 9, 7)).astype(np.float32)
    old = numba.get_num_threads()
    results = []
    try:
        for threads in (1, old):
            numba.set_num_threads(threads)
            plan: dict = {}
            conv.conv2d_forward(x, w, b, S1, S1, S1, 1, plan=plan)
            results.append((conv.conv2d_backward_input(go, w, x.shape, S1, S1, S1, 1, plan=plan),
                            conv.conv2d_backward_weight(go, x, w.shape, S1, S1, S1, 1,
                                                        plan=plan)))
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(*results):
        assert np.array_equal(a, b_)
    # and the same bits as without a plan for the weight gradient (same chunks, same sums)
    assert np.array_equal(results[0][1], conv.conv2d_backward_weight(go, x, w.shape, S1, S1,
                                                                      S1, 1))


@pytest.mark.parametrize("keep_bytes, kept", [(1 << 30, True), (1 << 10, False)])
def test_plan_keeps_a_small_transformed_input_only(monkeypatch, keep_bytes, kept):
    """The transformed input goes into the plan chunk by chunk (here several chunks) unless it
    is larger than _KEEP_BYTES (a recorded graph must not hold 2-4x its activations); the
    weight gradient is right either way."""
    monkeypatch.setattr(winograd, "_CHUNK_BYTES", 1 << 12)
    monkeypatch.setattr(winograd, "_KEEP_BYTES", keep_bytes)
    x, w, _ = _arrays((3, 4, 9, 8, 5, (1, 1)), np.float64)
    go = np.random.default_rng(7).standard_normal((3, 5, 9, 8))
    plan: dict = {}
    winograd.forward(x, w, None, 1, 1, tile=4, plan=plan)
    assert (len(plan["winograd input"][1]) > 1) == kept
    assert _rel(winograd.backward_weight(go, x, 1, 1, tile=4, plan=plan),
                ref_backward_weight(go, x, S1)) < 1e-13


@pytest.mark.parametrize("chunk_bytes", [16 << 20, 40 << 10, 1 << 12])
@pytest.mark.parametrize("structure", ["filters", "samples", "t"])
@pytest.mark.parametrize("tile", [2, 4])
def test_every_structure_matches_float64_with_and_without_plan(monkeypatch, structure, tile,
                                                               chunk_bytes):
    """By blocks of filters, by samples and by ``t``, in one chunk, several chunks of whole
    samples or bands of tile rows, every pass equals the float64 reference, with the forward
    pass's plan and without, bit for bit between thread counts."""
    monkeypatch.setattr(winograd, "_structure", lambda *args: structure)
    monkeypatch.setattr(winograd, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(winograd, "_BLOCKS", {p: (1 << 10, 3) for p in winograd._BLOCKS})
    x, w, b = _arrays((3, 6, 9, 7, 5, (1, 1)), np.float64)
    go = np.random.default_rng(8).standard_normal((3, 5, 9, 7))
    results = []
    old = numba.get_num_threads()
    try:
        for threads, use_plan in ((old, True), (old, False), (1, True)):
            numba.set_num_threads(threads)
            plan = {} if use_plan else None
            out = winograd.forward(x, w, b, 1, 1, tile=tile, plan=plan)
            dx = winograd.backward_input(go, w, x.shape, 1, 1, tile=tile, plan=plan)
            dw = winograd.backward_weight(go, x, 1, 1, tile=tile, plan=plan)
            assert _rel(out, ref_forward(x, w, S1) + b.reshape(1, -1, 1, 1)) < 1e-13
            assert _rel(dx, ref_backward_input(go, w, x.shape, S1)) < 1e-13
            assert _rel(dw, ref_backward_weight(go, x, S1)) < 1e-13
            results.append((out, dx, dw))
    finally:
        numba.set_num_threads(old)
    for a, b_ in zip(results[0], results[2]):
        assert np.array_equal(a, b_)


def test_structure_rule_on_vgg_layers():
    """Few tiles: by filters; many tiles and a small transformed weight: by samples; a large
    transformed weight or a large image: by ``t``."""
    f4, f2 = winograd._variant(4), winograd._variant(2)
    assert winograd._structure(32, 512, 512, 4, 4, f4, 4) == "filters"  # 32 tiles
    assert winograd._structure(32, 512, 512, 2, 2, f2, 4) == "filters"
    assert winograd._structure(32, 64, 64, 32, 32, f4, 4) == "samples"
    assert winograd._structure(32, 128, 256, 8, 8, f4, 4) == "samples"  # U: 4.7 MB
    assert winograd._structure(32, 256, 256, 8, 8, f4, 4) == "t"  # U: 9.4 MB
    assert winograd._structure(1, 64, 64, 224, 224, f4, 4) == "t"  # one sample: 57 MB
