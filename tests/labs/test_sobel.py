"""Sobel lab: the notes' 6x6 vertical edge gives exactly the expected map."""
import numpy as np

from tinygrad_cnn.labs import sobel


def test_edge_image_map_is_exact_and_the_step_is_spelled_out(tmp_path):
    r = sobel.run(tmp_path)
    # 6x6: 10 on the left half, 0 on the right; Sobel [[1,0,-1],[2,0,-2],[1,0,-1]]
    assert r.data["output"].tolist() == [[0.0, 40.0, 40.0, 0.0]] * 4
    assert r.data["dot"] == 40.0
    steps = r.tables[1].rows
    assert len(steps) == 10 and steps[-1][-1] == 40.0
    assert sum(row[3] for row in steps[:-1]) == 40.0
    assert r.picture == tmp_path / "sobel.png" and r.picture.stat().st_size > 0


def test_transposed_kernel_does_not_see_a_vertical_edge():
    assert not sobel.convolve(sobel.EDGE_IMAGE, sobel.KERNELS["horizontal (transpose)"]).any()
    flipped = sobel.convolve(sobel.EDGE_IMAGE[:, ::-1], sobel.SOBEL)
    assert flipped.tolist() == [[0.0, -40.0, -40.0, 0.0]] * 4  # dark-to-bright: negative


def test_digit_maps_keep_the_size_and_match_a_direct_correlation(tmp_path):
    r = sobel.run(tmp_path)
    digit, label = sobel.pick_digit("digits", 0)
    assert label == "7" and digit.shape == (24, 24)
    padded = np.pad(digit, 1)
    k = sobel.SOBEL
    direct = np.array([[(padded[i:i + 3, j:j + 3] * k).sum() for j in range(24)]
                       for i in range(24)])
    np.testing.assert_allclose(r.data["digit_maps"]["vertical (Sobel)"], direct, atol=1e-5)
