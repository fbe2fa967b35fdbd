"""The Sobel kernels: the seed's vertical-edge kernel and its turned copies, and the
depthwise weight layout."""
import numpy as np
import pytest

tgcnn_sobel = pytest.importorskip("tgcnn_sobel", reason="tgcnn-sobel is not installed: "
                                  "pip install -e plugins/tgcnn-sobel")
from tgcnn_sobel import DIRECTIONS, sobel_kernels, sobel_weight  # noqa: E402

# the 3x3 ring clockwise from the top-left corner: turning a kernel by 45 degrees moves
# every ring value one step along it
_RING = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]


def _turn(kernel: np.ndarray, steps: int) -> np.ndarray:
    """``kernel`` turned by ``steps`` x 45 degrees clockwise (negative: counter-clockwise)."""
    out = kernel.copy()
    for i, pos in enumerate(_RING):
        out[_RING[(i + steps) % 8]] = kernel[pos]
    return out


def test_vertical_kernel_is_the_seeds():
    # positive left column, zeros in the centre, negative right column (section 3.4)
    expected = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
    np.testing.assert_array_equal(sobel_kernels("vertical")[0], expected)


def test_other_directions_are_the_vertical_kernel_turned():
    v = sobel_kernels("vertical")[0]
    k = dict(zip(DIRECTIONS, sobel_kernels()))
    np.testing.assert_array_equal(k["horizontal"], v.T)
    np.testing.assert_array_equal(k["horizontal"], _turn(v, 2))
    np.testing.assert_array_equal(k["diagonal"], _turn(v, -1))
    np.testing.assert_array_equal(k["antidiagonal"], _turn(v, 1))
    assert np.all(np.diag(k["diagonal"]) == 0)
    assert np.all(np.diag(np.fliplr(k["antidiagonal"])) == 0)


def test_every_kernel_ignores_flat_regions():
    assert np.all(sobel_kernels().sum(axis=(1, 2)) == 0)


def test_kernels_follow_the_requested_order_and_dtype():
    k = sobel_kernels(["diagonal", "vertical"], dtype=np.float64)
    assert k.dtype == np.float64 and k.shape == (2, 3, 3)
    np.testing.assert_array_equal(k[1], sobel_kernels("vertical")[0])


def test_weight_gives_every_channel_every_direction():
    w = sobel_weight(3, ["vertical", "horizontal"])
    assert w.shape == (6, 1, 3, 3) and w.flags.c_contiguous
    for c in range(3):
        np.testing.assert_array_equal(w[2 * c, 0], sobel_kernels("vertical")[0])
        np.testing.assert_array_equal(w[2 * c + 1, 0], sobel_kernels("horizontal")[0])


@pytest.mark.parametrize("bad, message", [([], "at least one"), (["sideways"], "unknown"),
                                          (["vertical", "vertical"], "repeat")])
def test_bad_directions_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        sobel_kernels(bad)
