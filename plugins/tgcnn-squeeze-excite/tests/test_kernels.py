"""The Numba kernels against numpy: values, dtypes, layouts and specializations."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tgcnn_squeeze_excite", reason="tgcnn-squeeze-excite is not installed: "
                    "pip install -e plugins/tgcnn-squeeze-excite")
from tinygrad_cnn.testing import arrays  # noqa: E402
from tgcnn_squeeze_excite import kernels  # noqa: E402

FAST = settings(max_examples=10, deadline=None)
shapes = st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 5))


@FAST
@given(shapes, st.sampled_from([np.float32, np.float64]), st.data())
def test_every_kernel_matches_numpy(shape, dtype, data):
    x = data.draw(arrays(shape, dtype))
    other = data.draw(arrays(shape, dtype))
    s = data.draw(arrays(shape[:2], dtype))
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    results = {
        "mean": (kernels.plane_mean(x), x.mean(axis=(2, 3))),
        "scale": (kernels.plane_scale(x, s), x * s[:, :, None, None]),
        "dot": (kernels.plane_dot(x, other), (x * other).sum(axis=(2, 3))),
        "mean_backward": (kernels.plane_mean_backward(s, shape),
                          np.broadcast_to(s[:, :, None, None] / (shape[2] * shape[3]), shape)),
    }
    for name, (got, expected) in results.items():
        assert got.dtype == dtype, name
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, err_msg=name, **tol)


def test_wrappers_normalise_layout_and_dtype():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 5, 4).transpose(0, 1, 3, 2)
    assert not x.flags.c_contiguous
    np.testing.assert_allclose(kernels.plane_mean(x), x.mean(axis=(2, 3)))
    ints = np.ones((1, 2, 2, 2), np.int64)
    assert kernels.plane_mean(ints).dtype == np.float32
    # the scales follow the data's dtype, whatever theirs
    assert kernels.plane_scale(x, np.ones((2, 3), np.float32)).dtype == np.float64


def test_one_specialization_per_dtype():
    x64 = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    for x in (x64, x64.astype(np.float32), x64.transpose(0, 1, 3, 2), np.ones((1, 1, 2, 2), int)):
        kernels.plane_mean(x)
        kernels.plane_mean_backward(np.ones(x.shape[:2]), x.shape)
        kernels.plane_scale(x, np.ones(x.shape[:2], np.float32))
        kernels.plane_dot(x, x)
    for kernel in (kernels._plane_mean_kernel, kernels._plane_fill_kernel,
                   kernels._plane_scale_kernel, kernels._plane_dot_kernel):
        assert len(kernel.signatures) <= 2, kernel.signatures


def test_float32_kernels_accumulate_in_float32():
    # 2**24 + 1 rounds back to 2**24 in float32: a float64 accumulator (an `acc = 0.0`
    # literal) would count the ones
    x = np.ones((1, 1, 1, 9), np.float32)
    x[..., 0] = 2.0 ** 24
    assert kernels.plane_dot(x, np.ones_like(x))[0, 0] == np.float32(2.0 ** 24)
    np.testing.assert_array_equal(kernels.plane_dot(x.astype(np.float64),
                                                    np.ones((1, 1, 1, 9)))[0, 0], 2.0 ** 24 + 8)


@pytest.mark.parametrize("call, message", [
    (lambda: kernels.plane_mean(np.ones((2, 3))), "4-D"),
    (lambda: kernels.plane_mean(np.ones((1, 1, 0, 3))), "empty"),
    (lambda: kernels.plane_scale(np.ones((1, 2, 3, 3)), np.ones((1, 3))), "one value per"),
    (lambda: kernels.plane_dot(np.ones((1, 2, 3, 3)), np.ones((1, 2, 3, 2))), "differ"),
    (lambda: kernels.plane_mean_backward(np.ones((1, 2)), (1, 2, 0, 0)), "empty"),
])
def test_bad_shapes_are_rejected_before_any_kernel(call, message):
    with pytest.raises(ValueError, match=message):
        call()
