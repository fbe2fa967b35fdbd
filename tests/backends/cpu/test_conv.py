"""CPU convolution kernels against the float64 reference backend (and PyTorch when installed)."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import reference
from tinygrad_cnn.backends.cpu import _im2col, _threads, conv


# ---------------------------------------------------------------- float64 reference backend
def _f64(*arrays):
    return [None if a is None else np.asarray(a, np.float64) for a in arrays]


def _out_hw(x_shape, w_shape, stride, padding, dilation):
    return tuple((x_shape[2 + a] + 2 * padding[a] - dilation[a] * (w_shape[2 + a] - 1) - 1)
                 // stride[a] + 1 for a in range(2))


def ref_forward(x, w, b, stride, padding, dilation, groups):
    """Float64 convolution of the reference backend."""
    return reference.conv2d(*_f64(x, w, b), stride, padding, dilation, groups)


def ref_backward(go, x, w, stride, padding, dilation, groups):
    """Float64 ``(dx, dw)`` of the convolution for the upstream gradient ``go``."""
    x, w, go = _f64(x, w, go)
    return reference.conv2d_grads(x, w, go, stride, padding, dilation, groups)


def test_reference_matches_a_loop_by_hand():
    # A 1-channel 3x3 input, 2x2 kernel, stride 1, no padding: each output is a 4-term sum.
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    want = [[0 + 2 * 1 + 3 * 3 + 4 * 4, 1 + 2 * 2 + 3 * 4 + 4 * 5],
            [3 + 2 * 4 + 3 * 6 + 4 * 7, 4 + 2 * 5 + 3 * 7 + 4 * 8]]
    np.testing.assert_array_equal(ref_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)[0, 0], want)
    np.testing.assert_array_equal(conv.conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)[0, 0],
                                  want)


# ---------------------------------------------------------------- geometry, valid by construction
@st.composite
def geometries(draw):
    """Conv arguments whose output has at least one pixel: kernel/stride/padding/dilation first,
    then an input size of at least ``dilation*(kernel-1) + 1 - 2*padding``."""
    groups = draw(st.integers(1, 2))
    geo = dict(n=draw(st.integers(1, 3)), c=groups * draw(st.integers(1, 4)),
               o=groups * draw(st.integers(1, 4)), groups=groups)
    k, s, p, d, size = [], [], [], [], []
    for _ in range(2):
        k.append(draw(st.integers(1, 4)))
        s.append(draw(st.integers(1, 3)))
        p.append(draw(st.integers(0, 2)))
        d.append(draw(st.integers(1, 2)))
        size.append(draw(st.integers(max(1, d[-1] * (k[-1] - 1) + 1 - 2 * p[-1]), 9)))
    geo.update(kernel=tuple(k), stride=tuple(s), padding=tuple(p), dilation=tuple(d),
               size=tuple(size), bias=draw(st.booleans()))
    return geo


def _arrays(geo, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((geo["n"], geo["c"]) + geo["size"]).astype(dtype)
    w = rng.standard_normal((geo["o"], geo["c"] // geo["groups"]) + geo["kernel"]).astype(dtype)
    b = rng.standard_normal(geo["o"]).astype(dtype) if geo["bias"] else None
    oh, ow = _out_hw(x.shape, w.shape, geo["stride"], geo["padding"], geo["dilation"])
    go = rng.standard_normal((geo["n"], geo["o"], oh, ow)).astype(dtype)
    return x, w, b, go


def _hyper(geo):
    return geo["stride"], geo["padding"], geo["dilation"], geo["groups"]


def _close(got, want, scale, dtype):
    """Error bounded by float rounding of the sums: relative to ``scale`` = the sum of |terms|."""
    assert got.dtype == dtype and got.shape == want.shape
    assert got.flags.c_contiguous
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_array_less(np.abs(got - want), tol * scale + 1e-30)


@settings(max_examples=40, deadline=None)
@given(geo=geometries(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 999))
def test_forward_and_backward_match_reference(geo, dtype, seed):
    x, w, b, go = _arrays(geo, dtype, seed)
    hyper = _hyper(geo)
    want = ref_forward(x, w, b, *hyper)
    scale = ref_forward(np.abs(x), np.abs(w), None if b is None else np.abs(b), *hyper) + 1
    _close(conv.conv2d_forward(x, w, b, *hyper), want, scale, dtype)

    dx_want, dw_want = ref_backward(go, x, w, *hyper)
    dx_scale, dw_scale = ref_backward(np.abs(go), np.abs(x), np.abs(w), *hyper)
    _close(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx_want, dx_scale + 1, dtype)
    _close(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw_want, dw_scale + 1, dtype)


@settings(max_examples=25, deadline=None)
@given(geo=geometries(), seed=st.integers(0, 999))
def test_float32_matches_pytorch(geo, seed):
    torch = pytest.importorskip("torch")
    x, w, b, go = _arrays(geo, np.float32, seed)
    hyper = _hyper(geo)
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    yt = torch.nn.functional.conv2d(xt, wt, None if b is None else torch.from_numpy(b), *hyper)
    yt.backward(torch.from_numpy(go))
    scale = ref_forward(np.abs(x), np.abs(w), None if b is None else np.abs(b), *hyper) + 1
    _close(conv.conv2d_forward(x, w, b, *hyper), yt.detach().numpy(), scale, np.float32)
    dx_scale, dw_scale = ref_backward(np.abs(go), np.abs(x), np.abs(w), *hyper)
    _close(conv.conv2d_backward_input(go, w, x.shape, *hyper), xt.grad.numpy(), dx_scale + 1,
           np.float32)
    _close(conv.conv2d_backward_weight(go, x, w.shape, *hyper), wt.grad.numpy(), dw_scale + 1,
           np.float32)


SPLIT_GEOMETRIES = [
    dict(n=5, c=8, o=6, groups=2, kernel=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
         size=(5, 5), bias=True),
    dict(n=5, c=8, o=6, groups=2, kernel=(3, 3), stride=(2, 1), padding=(2, 1), dilation=(2, 1),
         size=(9, 5), bias=True),  # also 5x5 outputs, 72 column rows
]


@pytest.mark.parametrize("geo", SPLIT_GEOMETRIES)
@pytest.mark.parametrize("item_bytes", [1, 72 * 8 * 10, 72 * 8 * 50])
def test_work_split_into_items(monkeypatch, geo, item_bytes):
    # float64 columns of 72 rows: items of 1-row bands, 2-row bands (last one partial) and groups
    # of 2 whole samples (last one partial) all give the reference result.
    monkeypatch.setattr(conv, "_ITEM_BYTES", item_bytes)
    monkeypatch.setattr(conv, "_MIN_COLUMNS", 1)
    x, w, b, go = _arrays(geo, np.float64, 0)
    hyper = _hyper(geo)
    np.testing.assert_allclose(conv.conv2d_forward(x, w, b, *hyper), ref_forward(x, w, b, *hyper),
                               rtol=1e-12, atol=1e-12)
    dx, dw = ref_backward(go, x, w, *hyper)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2])
def test_default_items_split_a_large_image_into_bands(stride):
    # 64 channels x 3x3 = 576 column rows: a 40x40 output needs two or more row bands per sample.
    size = 40 * stride - (stride - 1)
    geo = dict(n=2, c=64, o=8, groups=2, kernel=(3, 3), stride=(stride, stride), padding=(1, 1),
               dilation=(1, 1), size=(size, size), bias=True)
    x, w, b, go = _arrays(geo, np.float32, 5)
    hyper = _hyper(geo)
    assert len(conv._Plan(x.shape, w.shape, *hyper[:3], 2, 4).bands) >= 2
    scale = ref_forward(np.abs(x), np.abs(w), np.abs(b), *hyper) + 1
    _close(conv.conv2d_forward(x, w, b, *hyper), ref_forward(x, w, b, *hyper), scale, np.float32)
    dx, dw = ref_backward(go, x, w, *hyper)
    dx_scale, dw_scale = ref_backward(np.abs(go), np.abs(x), np.abs(w), *hyper)
    _close(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx, dx_scale + 1, np.float32)
    _close(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw, dw_scale + 1, np.float32)


@pytest.mark.parametrize("groups", [1, 2])
def test_pointwise_convolution(groups):
    # 1x1 / stride 1 / no padding: a plain per-pixel matmul; dilation must not matter.
    geo = dict(n=3, c=4, o=6, groups=groups, kernel=(1, 1), stride=(1, 1), padding=(0, 0),
               dilation=(2, 2), size=(4, 5), bias=False)
    x, w, b, go = _arrays(geo, np.float64, 1)
    hyper = _hyper(geo)
    np.testing.assert_allclose(conv.conv2d_forward(x, w, b, *hyper), ref_forward(x, w, b, *hyper),
                               rtol=1e-12, atol=1e-12)
    dx, dw = ref_backward(go, x, w, *hyper)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw,
                               rtol=1e-12, atol=1e-12)


def test_padding_larger_than_kernel():
    geo = dict(n=1, c=2, o=3, groups=1, kernel=(2, 1), stride=(2, 3), padding=(3, 2),
               dilation=(1, 1), size=(1, 2), bias=True)
    x, w, b, go = _arrays(geo, np.float64, 2)
    hyper = _hyper(geo)
    np.testing.assert_allclose(conv.conv2d_forward(x, w, b, *hyper), ref_forward(x, w, b, *hyper),
                               rtol=1e-12, atol=1e-12)
    dx, dw = ref_backward(go, x, w, *hyper)
    np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx, atol=1e-12)
    np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw, atol=1e-12)


def test_results_do_not_alias_inputs_or_each_other():
    geo = dict(n=2, c=2, o=2, groups=1, kernel=(1, 1), stride=(1, 1), padding=(0, 0),
               dilation=(1, 1), size=(3, 3), bias=False)
    x, w, _, go = _arrays(geo, np.float32, 3)
    hyper = _hyper(geo)
    outs = [conv.conv2d_forward(x, w, None, *hyper), conv.conv2d_forward(x, w, None, *hyper),
            conv.conv2d_backward_input(go, w, x.shape, *hyper),
            conv.conv2d_backward_weight(go, x, w.shape, *hyper)]
    for i, a in enumerate(outs):
        assert not np.shares_memory(a, x) and not np.shares_memory(a, w)
        assert not np.shares_memory(a, go)
        assert all(not np.shares_memory(a, b) for b in outs[i + 1:])


def test_non_contiguous_inputs_and_one_float32_specialization():
    rng = np.random.default_rng(4)
    hyper = ((1, 2), (1, 0), (1, 1), 1)
    for shape in [(2, 3, 8, 6), (1, 3, 5, 9), (3, 3, 4, 4)]:
        base = rng.standard_normal(shape[:2] + (shape[3], shape[2] * 2)).astype(np.float32)
        x = base.transpose(0, 1, 3, 2)[:, :, ::2, :]  # strided, not C-contiguous
        w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)[:, :, :, ::-1]
        go_shape = (shape[0], 4) + _out_hw(x.shape, w.shape, *hyper[:3])
        go = np.asfortranarray(rng.standard_normal(go_shape).astype(np.float32))
        np.testing.assert_allclose(conv.conv2d_forward(x, w, None, *hyper),
                                   ref_forward(x, w, None, *hyper), rtol=1e-4, atol=1e-4)
        dx, dw = ref_backward(go, x, w, *hyper)
        np.testing.assert_allclose(conv.conv2d_backward_input(go, w, x.shape, *hyper), dx,
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(conv.conv2d_backward_weight(go, x, w.shape, *hyper), dw,
                                   rtol=1e-4, atol=1e-4)
    for kernel in (_im2col.im2col, _im2col.col2im):  # serial nogil kernels
        f32 = [sig for sig in kernel.signatures
               if any(getattr(t, "dtype", None) == numba.float32 for t in sig)]
        assert len(f32) == 1, (kernel, kernel.signatures)


# ---------------------------------------------------------------- the thread helper conv runs on
def test_parallel_items_runs_each_item_once_and_returns_thread_states():
    seen = []
    states = _threads.parallel_items(50, lambda state, i: (seen.append(i), state.append(i)), list)
    assert sorted(seen) == list(range(50))
    assert sorted(i for state in states for i in state) == list(range(50))
    assert 1 <= len(states) <= max(1, numba.get_num_threads())


def test_parallel_items_raises_worker_errors_and_restores_blas_threads():
    blas = _threads._find_blas()
    before = blas[0]() if blas else None
    inside = []

    def body(_, i):
        if blas:
            inside.append(blas[0]())
        if i == 3:
            raise ValueError("item 3")

    with pytest.raises(ValueError, match="item 3"):
        _threads.parallel_items(8, body)
    if blas:
        assert blas[0]() == before
        if numba.get_num_threads() > 1:  # several workers: each GEMM single-threaded
            assert set(inside) == {1}


def test_weight_gradient_is_bit_identical_from_run_to_run():
    """Same inputs, same thread count -> same bits, however the threads' timing falls
    (the issue's 'same seed, same data, same device -> the same result')."""
    import numba

    from tinygrad_cnn.backends.cpu.conv import conv2d_backward_weight
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8, 16, 16)).astype(np.float32)
    g = rng.standard_normal((16, 8, 16, 16)).astype(np.float32)
    args = ((8, 8, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    first = conv2d_backward_weight(g, x, *args)
    for _ in range(6):
        np.testing.assert_array_equal(conv2d_backward_weight(g, x, *args), first)
    assert numba.get_num_threads() >= 1
