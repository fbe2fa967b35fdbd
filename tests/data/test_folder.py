"""Image-folder datasets written here as PNG/JPEG/BMP/NPY files."""
import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.folder import load_folder


def _img(path, colour, size=(8, 6), mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def _tree(root, classes=("cat", "dog", "eel"), n=4, ext="png", mode="RGB"):
    for k, c in enumerate(classes):
        for i in range(n):
            colour = (10 * k, 20 * i, 30) if mode == "RGB" else 10 * k + i
            _img(root / c / f"{i}.{ext}", colour, mode=mode)


def test_png_rgb_with_holdout(tmp_path):
    _tree(tmp_path)
    s = load_folder(tmp_path, seed=0)
    assert s.classes == ["cat", "dog", "eel"] and s.input_shape == (3, 6, 8)
    assert len(s.train) + len(s.test) == 12 and np.bincount(s.test.y).tolist() == [1, 1, 1]
    assert "held out 3 images" in s.notes[1]
    # Labels follow the folder: the red channel encodes the class index.
    every_x = np.concatenate([s.train.x, s.test.x])
    every_y = np.concatenate([s.train.y, s.test.y])
    assert np.array_equal(every_x[:, 0, 0, 0], 10 * every_y)
    s2 = load_folder(tmp_path, seed=0)
    assert np.array_equal(s2.test.x, s.test.x)
    assert len(load_folder(tmp_path, seed=5, test_fraction=0.5).test) == 6


def test_holdout_depends_on_seed(tmp_path):
    _tree(tmp_path, n=10)
    tests = {load_folder(tmp_path, seed=s).test.x[:, 1, 0, 0].tobytes() for s in range(5)}
    assert len(tests) > 1


def test_grey_jpeg_stays_single_channel(tmp_path):
    _tree(tmp_path, ext="jpg", mode="L")
    s = load_folder(tmp_path)
    assert s.input_shape == (1, 6, 8) and s.train.x.dtype == np.uint8


def test_mixed_grey_and_colour_becomes_rgb(tmp_path):
    _tree(tmp_path, mode="L")
    _img(tmp_path / "cat" / "c.bmp", (200, 100, 0))
    np.save(tmp_path / "dog" / "n.npy", np.full((6, 8), 77, np.uint8))
    s = load_folder(tmp_path)
    x = np.concatenate([s.train.x, s.test.x])
    assert s.input_shape == (3, 6, 8)
    assert any(np.array_equal(im[:, 0, 0], [200, 100, 0]) for im in x)
    assert any(np.array_equal(im[:, 0, 0], [77, 77, 77]) for im in x)


def test_test_subfolder_and_train_subfolder(tmp_path):
    _tree(tmp_path / "train")
    _tree(tmp_path / "test", classes=("cat", "eel"), n=2)
    s = load_folder(tmp_path)
    assert len(s.train) == 12 and len(s.test) == 4 and sorted(set(s.test.y.tolist())) == [0, 2]
    other = tmp_path / "o"
    _tree(other)
    _tree(other / "test", n=1)
    s = load_folder(other)
    assert s.classes == ["cat", "dog", "eel"] and len(s.test) == 3 and len(s.train) == 12


def test_nested_files_and_ignored_files(tmp_path):
    _tree(tmp_path, n=2)
    _img(tmp_path / "cat" / "sub" / "deep.png", (1, 2, 3))
    (tmp_path / "cat" / "notes.txt").write_text("ignore me")
    _img(tmp_path / "cat" / ".hidden.png", (1, 2, 3))
    s = load_folder(tmp_path, test_fraction=0.34)
    assert len(s.train) + len(s.test) == 7


def test_missing_path_and_no_classes(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_folder(tmp_path / "nope")
    _img(tmp_path / "a.png", (0, 0, 0))
    with pytest.raises(DataError, match=r"no class folders in .*found: a.png.*<class>/\*.png"):
        load_folder(tmp_path)


def test_empty_class_folder(tmp_path):
    _tree(tmp_path)
    (tmp_path / "fox").mkdir()
    with pytest.raises(DataError, match="class folder .*fox holds no images"):
        load_folder(tmp_path)


def test_mixed_sizes_name_both_files(tmp_path):
    _tree(tmp_path)
    _img(tmp_path / "dog" / "big.png", (0, 0, 0), size=(9, 6))
    with pytest.raises(DataError, match=r"images differ in size: .*cat/0.png is 8x6 but .*dog/big.png is 9x6"):
        load_folder(tmp_path)


def test_unknown_test_class(tmp_path):
    _tree(tmp_path)
    _tree(tmp_path / "test", classes=("cow",), n=1)
    with pytest.raises(DataError, match="no training class 'cow'"):
        load_folder(tmp_path)


def test_empty_test_folder(tmp_path):
    _tree(tmp_path)
    (tmp_path / "test").mkdir()
    with pytest.raises(DataError, match="holds no class folders with images"):
        load_folder(tmp_path)


def test_corrupt_image(tmp_path):
    _tree(tmp_path)
    (tmp_path / "dog" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(DataError, match="bad.png: cannot read the image"):
        load_folder(tmp_path)


def test_truncated_image(tmp_path):
    _tree(tmp_path)
    rng = np.random.default_rng(0)
    p = tmp_path / "dog" / "t.png"
    Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(p)
    p.write_bytes(p.read_bytes()[:60])
    with pytest.raises(DataError, match="t.png"):
        load_folder(tmp_path)


def test_npy_must_be_uint8(tmp_path):
    _tree(tmp_path)
    np.save(tmp_path / "dog" / "f.npy", np.zeros((6, 8), np.float32))
    with pytest.raises(DataError, match="must be uint8"):
        load_folder(tmp_path)


def test_alpha_is_composited_on_white(tmp_path):
    _tree(tmp_path, classes=("a", "b"), n=2, mode="L")
    _img(tmp_path / "a" / "t.png", (0, 0, 0, 0), mode="RGBA")
    s = load_folder(tmp_path, test_fraction=0.25)
    x = np.concatenate([s.train.x, s.test.x])
    assert s.input_shape[0] == 3 and any(np.all(im == 255) for im in x)
