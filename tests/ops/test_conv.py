"""conv2d: gradients over drawn geometry, and the forward properties of the seed notes."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, conv_geometries, gradcheck

# Section 3.4: positive left column, zero centre, negative right column (vertical edges).
SOBEL_VERTICAL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)


@given(g=conv_geometries(), bias=st.booleans(), data=st.data())
def test_conv2d_gradients(g, bias, data):
    x = data.draw(arrays(g.input_shape))
    w = data.draw(arrays(g.weight_shape))
    inputs = [x, w] + ([data.draw(arrays((g.out_channels,)))] if bias else [])

    def fn(x, w, b=None):
        return F.conv2d(x, w, b, stride=g.stride, padding=g.padding, dilation=g.dilation,
                        groups=g.groups)

    out = fn(*[tg.Tensor(a, dtype=np.float64) for a in inputs])
    assert out.shape == (g.batch, g.out_channels) + g.output_size
    gradcheck(fn, inputs)


def _reference_conv(x, w, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, o, h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.einsum("nchw,ochw->no", xp[:, :, i:i + kh, j:j + kw], w)
    return out


@given(g=conv_geometries(max_stride=1, max_dilation=1, max_groups=1), data=st.data())
def test_conv2d_forward_matches_the_definition(g, data):
    x = data.draw(arrays(g.input_shape))
    w = data.draw(arrays(g.weight_shape))
    pad = g.padding[0]
    if g.padding[1] != pad:
        return
    got = F.conv2d(tg.Tensor(x, dtype=np.float64), tg.Tensor(w, dtype=np.float64), padding=pad)
    np.testing.assert_allclose(got.numpy(), _reference_conv(x, w, pad), atol=1e-10)


@given(shift=st.tuples(st.integers(0, 3), st.integers(0, 3)), seed=st.integers(0, 100))
def test_convolution_is_translation_equivariant(shift, seed):
    """Conv of a shifted image == shifted conv, away from the borders (section 1.3)."""
    rng = np.random.default_rng(seed)
    image = np.zeros((1, 2, 16, 16), np.float32)
    image[:, :, 2:8, 3:9] = rng.standard_normal((1, 2, 6, 6))
    dy, dx = shift
    shifted = np.roll(image, (dy, dx), axis=(2, 3))
    w = tg.Tensor(rng.standard_normal((3, 2, 3, 3)))
    a = F.conv2d(tg.Tensor(image), w, padding=1).numpy()
    b = F.conv2d(tg.Tensor(shifted), w, padding=1).numpy()
    np.testing.assert_allclose(np.roll(a, (dy, dx), axis=(2, 3)), b, atol=1e-5)


def test_sobel_kernel_detects_the_vertical_edge_exactly():
    """Section 3.2-3.4: a 6x6 image, bright left half, convolved with the 3x3 Sobel kernel."""
    image = np.zeros((6, 6), np.float32)
    image[:, :3] = 10.0
    out = F.conv2d(tg.Tensor(image.reshape(1, 1, 6, 6)), tg.Tensor(SOBEL_VERTICAL.reshape(1, 1, 3, 3)))
    expected = np.array([[0, 40, 40, 0]] * 4, np.float32)   # edge response in the middle columns
    np.testing.assert_array_equal(out.numpy()[0, 0], expected)


def test_bad_shapes_name_the_op_and_the_shapes():
    import pytest
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight \(4, 2, 3, 3\)"):
        F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(4, 2, 3, 3))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        F.conv2d(tg.zeros(3, 8, 8), tg.zeros(1, 3, 3, 3))
    with pytest.raises(TypeError, match="float32 or float64"):
        F.conv2d(tg.Tensor(np.zeros((1, 1, 4, 4), np.int64)), tg.zeros(1, 1, 3, 3))
    with pytest.raises(TypeError, match="float64"):
        F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3, dtype=np.float64))
