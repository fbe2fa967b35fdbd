"""npz and HDF5 array datasets: keys, test splits, layouts, labels and refused HDF5 features."""
import pickle

import h5py
import numpy as np
import pytest

from tinygrad_cnn.data import load_dataset
from tinygrad_cnn.data.arrays import load_h5, load_npz, to_nchw
from tinygrad_cnn.data.errors import DataError


def _xy(n=20, shape=(8, 8, 3), k=4, seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n,) + shape).astype(dtype), np.arange(n) % k


def _h5(path, **arrays):
    with h5py.File(path, "w") as f:
        for k, v in arrays.items():
            f[k] = v


@pytest.mark.parametrize("shape, layout, c", [((8, 8, 3), "NHWC", 3), ((3, 8, 8), "NCHW", 3),
                                              ((8, 8), "NHW", 1), ((1, 5, 7), "NCHW", 1)])
def test_npz_layouts(tmp_path, shape, layout, c):
    x, y = _xy(shape=shape)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    s = load_npz(tmp_path / "d.npz")
    assert s.input_shape[0] == c and f"assumed {layout}" in s.notes[0]
    full = np.concatenate([s.train.x, s.test.x])
    ref = x.transpose(0, 3, 1, 2) if layout == "NHWC" else (x[:, None] if layout == "NHW" else x)
    # Hold-out keeps whole images: every loaded image is one of the originals.
    assert {im.tobytes() for im in full} == {im.tobytes() for im in ref}


def test_layout_override_and_ambiguity():
    x = np.zeros((2, 3, 4, 3), np.uint8)
    assert to_nchw(x, "x")[1] == "nchw"
    assert to_nchw(x, "x", "nhwc")[0].shape == (2, 3, 3, 4)
    with pytest.raises(DataError, match="cannot tell the channel axis"):
        to_nchw(np.zeros((2, 5, 6, 7)), "x")
    with pytest.raises(DataError, match="layout must be one of"):
        to_nchw(x, "x", "hwc")
    with pytest.raises(DataError, match="expected NHWC, NCHW or NHW"):
        to_nchw(np.zeros((2, 3)), "x")


def test_dtypes():
    assert to_nchw(np.full((1, 2, 2), 300, np.int32), "x")[0].dtype == np.float32
    assert to_nchw(np.full((1, 2, 2), 200, np.int32), "x")[0].dtype == np.uint8
    assert to_nchw(np.ones((1, 2, 2), bool), "x")[0].dtype == np.float32
    with pytest.raises(DataError, match="NaN"):
        to_nchw(np.full((1, 2, 2), np.nan), "x")
    with pytest.raises(DataError, match="dtype"):
        to_nchw(np.array([[["a"]]]), "x")


def test_npz_test_keys_and_classes(tmp_path):
    x, y = _xy()
    xt, yt = _xy(n=6, seed=1)
    np.savez(tmp_path / "d.npz", x=x, y=y, x_test=xt, y_test=yt, classes=np.array(["a", "b", "c", "d"]))
    s = load_npz(tmp_path / "d.npz")
    assert len(s.train) == 20 and np.array_equal(s.test.x, xt.transpose(0, 3, 1, 2))
    assert s.classes == ["a", "b", "c", "d"] and "x_test/y_test" in s.notes[1]


def test_npz_sibling_test_file(tmp_path):
    x, y = _xy()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.savez(tmp_path / "d_test.npz", x=x[:5], y=y[:5])
    s = load_npz(tmp_path / "d.npz")
    assert len(s.train) == 20 and len(s.test) == 5 and "d_test.npz" in s.notes[1]
    (tmp_path / "d_test.npz").unlink()
    np.savez(tmp_path / "test.npz", x=x[:3], y=y[:3])
    assert len(load_npz(tmp_path / "d.npz").test) == 3


def test_float_data_units(tmp_path):
    x, y = _xy(dtype=np.float32)
    np.savez(tmp_path / "d.npz", x=x / 255.0, y=y)
    s = load_npz(tmp_path / "d.npz")
    assert s.train.x.dtype == np.float32 and s.pixel_max == 1.0 and max(s.mean) < 1.0


@pytest.mark.parametrize("arrays, match", [
    (dict(x=np.zeros((4, 2, 2))), r"no arrays y \(found: x\)"),
    (dict(images=np.zeros((4, 2, 2)), y=np.zeros(4)), r"no arrays x \(found: images, y\)"),
    (dict(x=np.zeros((4, 2, 2)), y=np.zeros(3)), "holds 4 images but 3 labels"),
    (dict(x=np.zeros((4, 2, 2)), y=np.array([0, 1, -1, 0])), "negative"),
    (dict(x=np.zeros((4, 2, 2)), y=np.array([0, 1, 0.5, 0])), "integers"),
    (dict(x=np.zeros((4, 2, 2)), y=np.array([0, 1, 3, 0])), r"2 never occur\(s\) while the largest label is 3"),
    (dict(x=np.zeros((4, 2, 2)), y=np.array([0, 1, 2, 0]), classes=np.array(["a", "b"])),
     "label 2 is out of range for 2 classes"),
    (dict(x=np.zeros((4, 2, 2)), y=np.zeros(4), x_test=np.zeros((1, 2, 2))), "x_test without its partner"),
    (dict(x=np.zeros((4, 2, 2)), y=np.zeros(4), x_test=np.zeros((2, 3, 3)), y_test=np.zeros(2)),
     "make both splits the same size"),
])
def test_npz_bad_contents(tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataError, match=match):
        load_npz(tmp_path / "d.npz")


def test_npz_bad_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_npz(tmp_path / "nope.npz")
    (tmp_path / "junk.npz").write_bytes(b"garbage" * 10)
    with pytest.raises(DataError, match="is not an .npz archive"):
        load_npz(tmp_path / "junk.npz")
    (tmp_path / "torn.npz").write_bytes(b"PK\x03\x04" + b"garbage" * 10)  # a torn zip
    with pytest.raises(DataError, match="is not readable as an .npz archive"):
        load_npz(tmp_path / "torn.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(DataError, match="single array"):
        load_npz(tmp_path / "one.npy")
    np.savez(tmp_path / "obj.npz", x=np.array([{}, {}], dtype=object), y=np.zeros(2))
    with pytest.raises(DataError, match="holds objects"):
        load_npz(tmp_path / "obj.npz")
    np.savez(tmp_path / "s.npz", x=np.zeros((4, 2, 2)), y=np.zeros(4))
    np.savez(tmp_path / "s_test.npz", a=np.zeros(1))
    with pytest.raises(DataError, match=r"test file .*s_test.npz has no arrays x and y \(found: a\)"):
        load_npz(tmp_path / "s.npz")


def test_h5_with_test_split_and_names(tmp_path):
    x, y = _xy(shape=(1, 6, 6))
    _h5(tmp_path / "d.h5", x=x, y=y, x_test=x[:4], y_test=y[:4], classes=np.array([b"w", b"x", b"y", b"z"]))
    s = load_h5(tmp_path / "d.h5")
    assert s.classes == ["w", "x", "y", "z"] and len(s.test) == 4 and np.array_equal(s.train.x, x)


def test_h5_sibling_and_holdout(tmp_path):
    x, y = _xy(n=40, shape=(6, 6))
    _h5(tmp_path / "d.h5", x=x, y=y)
    s = load_h5(tmp_path / "d.h5", seed=3, test_fraction=0.3)
    assert np.bincount(s.test.y).tolist() == [3, 3, 3, 3] and len(s.train) == 28
    _h5(tmp_path / "d_test.hdf5", x=x[:2], y=y[:2])
    assert len(load_h5(tmp_path / "d.h5").test) == 2


def test_h5_links_and_external_storage_are_refused(tmp_path):
    x, y = _xy(n=8, shape=(4, 4))
    _h5(tmp_path / "other.h5", x=x)
    with h5py.File(tmp_path / "ext.h5", "w") as f:
        f["x"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/x")
        f["y"] = y
    with pytest.raises(DataError, match="ExternalLink"):
        load_h5(tmp_path / "ext.h5")
    with h5py.File(tmp_path / "soft.h5", "w") as f:
        f["data"] = x
        f["x"] = h5py.SoftLink("/data")
        f["y"] = y
    with pytest.raises(DataError, match="SoftLink"):
        load_h5(tmp_path / "soft.h5")
    raw = tmp_path / "raw.bin"
    raw.write_bytes(x.tobytes())
    with h5py.File(tmp_path / "external.h5", "w") as f:
        f.create_dataset("x", shape=x.shape, dtype=x.dtype, external=[(str(raw), 0, x.nbytes)])
        f["y"] = y
    with pytest.raises(DataError, match="virtual or external storage"):
        load_h5(tmp_path / "external.h5")
    with h5py.File(tmp_path / "group.h5", "w") as f:
        f.create_group("x")
        f["y"] = y
    with pytest.raises(DataError, match="is a group"):
        load_h5(tmp_path / "group.h5")


def test_h5_not_hdf5(tmp_path):
    (tmp_path / "d.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match="is not readable as an HDF5 file"):
        load_h5(tmp_path / "d.h5")
    x, y = _xy()
    _h5(tmp_path / "t.h5", x=x, y=y)
    data = (tmp_path / "t.h5").read_bytes()
    (tmp_path / "t.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError):
        load_h5(tmp_path / "t.h5")


@pytest.mark.parametrize("content", [b"hello\n", b"", pickle.dumps({"x": [1, 2]})])
def test_npz_spec_on_a_file_that_is_not_npz(tmp_path, content):
    """Our own message, checked before numpy guesses the file is a pickle (whose message would
    suggest allow_pickle)."""
    path = tmp_path / "data.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match="is not an .npz archive") as err:
        load_dataset(f"npz:{path}")
    assert "pickle" not in str(err.value)
