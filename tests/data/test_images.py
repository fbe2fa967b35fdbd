"""load_image for predict: formats, channel conversion, resizing and units."""
import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.images import load_image, load_images


def test_png_rgb_to_model_size(tmp_path):
    Image.new("RGB", (16, 8), (255, 128, 0)).save(tmp_path / "a.png")
    a = load_image(tmp_path / "a.png", (3, 4, 8))
    assert a.shape == (3, 4, 8) and a.dtype == np.float32
    np.testing.assert_allclose(a[:, 0, 0], [255, 128, 0])


def test_pixel_max_scales_8bit_files(tmp_path):
    Image.new("L", (4, 4), 51).save(tmp_path / "g.png")
    np.testing.assert_allclose(load_image(tmp_path / "g.png", (1, 4, 4), pixel_max=1.0), 0.2, rtol=1e-6)


def test_colour_to_grey_and_grey_to_colour(tmp_path):
    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "r.png")
    Image.new("L", (4, 4), 90).save(tmp_path / "g.bmp")
    grey = load_image(tmp_path / "r.png", (1, 4, 4))
    assert grey.shape == (1, 4, 4) and abs(float(grey[0, 0, 0]) - 0.299 * 255) < 1.5
    colour = load_image(tmp_path / "g.bmp", (3, 4, 4))
    assert colour.shape == (3, 4, 4) and np.all(colour == 90)


def test_jpeg_roughly_preserved(tmp_path):
    Image.new("RGB", (32, 32), (10, 200, 60)).save(tmp_path / "a.jpg", quality=95)
    a = load_image(tmp_path / "a.jpg", (3, 32, 32))
    assert np.abs(a.mean(axis=(1, 2)) - [10, 200, 60]).max() < 4


def test_resize_is_bilinear_and_keeps_content(tmp_path):
    arr = np.zeros((8, 8), np.uint8)
    arr[:, 4:] = 200
    Image.fromarray(arr).save(tmp_path / "h.png")
    a = load_image(tmp_path / "h.png", (1, 16, 16))
    row = a[0, 5]
    assert row[0] == 0 and row[-1] == 200 and np.all(np.diff(row) >= 0)
    assert np.any((row > 0) & (row < 200))  # interpolated, not nearest-neighbour
    assert np.all(a[0] == a[0, :1])  # every row alike: content kept in place


@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3), (3, 6, 5), (6, 5, 1)])
def test_npy_layouts_keep_values(tmp_path, shape):
    arr = np.random.default_rng(0).random(shape).astype(np.float32)
    np.save(tmp_path / "a.npy", arr)
    c = 3 if 3 in shape else 1
    out = load_image(tmp_path / "a.npy", (c, 6, 5))
    ref = arr if arr.ndim == 2 else (arr.transpose(2, 0, 1) if shape[-1] in (1, 3) else arr)
    np.testing.assert_allclose(out.reshape(-1), ref.reshape(-1), rtol=1e-6)


def test_load_images_batch(tmp_path):
    for i in range(3):
        Image.new("L", (5, 5), i).save(tmp_path / f"{i}.png")
    b = load_images([tmp_path / f"{i}.png" for i in range(3)], (1, 5, 5))
    assert b.shape == (3, 1, 5, 5) and b[:, 0, 0, 0].tolist() == [0, 1, 2]
    assert load_images([], (1, 5, 5)).shape == (0, 1, 5, 5)


def test_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_image(tmp_path / "nope.png", (3, 8, 8))
    (tmp_path / "bad.png").write_bytes(b"nonsense")
    with pytest.raises(DataError, match="cannot read the image"):
        load_image(tmp_path / "bad.png", (3, 8, 8))
    np.save(tmp_path / "o.npy", np.array([None, 1], dtype=object))
    with pytest.raises(DataError, match="not a readable .npy"):
        load_image(tmp_path / "o.npy", (3, 8, 8))
    np.save(tmp_path / "big.npy", np.zeros((2, 3, 4, 5)))
    with pytest.raises(DataError, match="expected \\(H, W\\)"):
        load_image(tmp_path / "big.npy", (3, 8, 8))
    Image.new("L", (4, 4)).save(tmp_path / "g.png")
    with pytest.raises(DataError, match="C = 1 or 3"):
        load_image(tmp_path / "g.png", (2, 8, 8))
