"""MNIST/Fashion-MNIST IDX reader on files written here in the real format, raw and gzip."""
import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.idx import (FASHION_CLASSES, FILES, load_fashion_mnist, load_mnist, parse_idx,
                                   read_idx, write_idx)


def _idx_bytes(arr, code=0x08):
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(dt).tobytes()


def _write_mnist(root, n_train=12, n_test=5, gz=False, h=28, w=28, sub=""):
    rng = np.random.default_rng(0)
    d = root / sub
    d.mkdir(parents=True, exist_ok=True)
    arrays = {"train_x": rng.integers(0, 256, (n_train, h, w)).astype(np.uint8),
              "train_y": (np.arange(n_train) % 10).astype(np.uint8),
              "test_x": rng.integers(0, 256, (n_test, h, w)).astype(np.uint8),
              "test_y": (np.arange(n_test) % 10).astype(np.uint8)}
    for key, arr in arrays.items():
        data = _idx_bytes(arr)
        name = FILES[key] + (".gz" if gz else "")
        (d / name).write_bytes(gzip.compress(data) if gz else data)
    return arrays


@pytest.mark.parametrize("code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                         (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)])
def test_parse_every_type(code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if code != 0x08 else np.arange(24, dtype=np.uint8)
    out = parse_idx(_idx_bytes(arr, code), "f")
    assert out.dtype == np.dtype(dtype) and np.array_equal(out, arr)


def test_write_read_roundtrip(tmp_path):
    for name in ("a-idx3-ubyte", "b-idx3-ubyte.gz"):
        arr = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
        write_idx(tmp_path / name, arr)
        assert np.array_equal(read_idx(tmp_path / name), arr)
    assert (tmp_path / "b-idx3-ubyte.gz").read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz=gz)
    s = load_mnist(tmp_path)
    assert s.input_shape == (1, 28, 28) and s.classes == [str(i) for i in range(10)]
    assert np.array_equal(s.train.x[:, 0], arrays["train_x"]) and np.array_equal(s.test.y, arrays["test_y"])
    assert s.train.x.dtype == np.uint8 and s.train.y.dtype == np.int64 and not s.hflip_ok


def test_torchvision_layout_and_dotted_names(tmp_path):
    _write_mnist(tmp_path, sub="MNIST/raw")
    assert len(load_mnist(tmp_path).train) == 12
    other = tmp_path / "o"
    _write_mnist(other)
    for p in list(other.iterdir()):  # train-images.idx3-ubyte style names
        p.rename(p.with_name(p.name[::-1].replace("-", ".", 1)[::-1]))
    assert len(load_mnist(other).test) == 5


def test_fashion_names(tmp_path):
    _write_mnist(tmp_path, gz=True)
    s = load_fashion_mnist(tmp_path)
    assert s.classes == FASHION_CLASSES and s.name == "fashion-mnist" and s.hflip_ok


def test_missing_path_and_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(DataError, match=r"no train-images-idx3-ubyte\[.gz\] in .*found: readme.txt"):
        load_mnist(tmp_path)


def test_truncated_data(tmp_path):
    _write_mnist(tmp_path)
    p = tmp_path / FILES["train_x"]
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"truncated IDX data: header says \(12, 28, 28\)"):
        load_mnist(tmp_path)


def test_truncated_header_and_tiny_file(tmp_path):
    with pytest.raises(DataError, match="truncated IDX header"):
        parse_idx(b"\x00\x00\x08\x03\x00\x00\x00\x02", "f")
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"\x00\x00", "f")


def test_wrong_magic(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / FILES["test_y"]).write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataError, match="bad IDX magic 504b0304"):
        load_mnist(tmp_path)


def test_trailing_bytes(tmp_path):
    with pytest.raises(DataError, match="unexpected bytes"):
        parse_idx(_idx_bytes(np.zeros(3, np.uint8)) + b"\x00", "f")


def test_images_and_labels_swapped(tmp_path):
    _write_mnist(tmp_path)
    a, b = tmp_path / FILES["train_x"], tmp_path / FILES["train_y"]
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)
    with pytest.raises(DataError, match="expected images .* labels file under an images name"):
        load_mnist(tmp_path)


def test_non_byte_images(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / FILES["train_x"]).write_bytes(_idx_bytes(np.zeros((12, 28, 28), np.float32), 0x0D))
    with pytest.raises(DataError, match="expected unsigned byte pixels"):
        load_mnist(tmp_path)


def test_mismatched_counts(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / FILES["test_y"]).write_bytes(_idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataError, match="holds 5 images but .* holds 4 labels"):
        load_mnist(tmp_path)


def test_label_out_of_range(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / FILES["train_y"]).write_bytes(_idx_bytes(np.full(12, 10, np.uint8)))
    with pytest.raises(DataError, match="label 10 is out of range for 10 classes"):
        load_mnist(tmp_path)


def test_train_and_test_sizes_differ(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / FILES["test_x"]).write_bytes(_idx_bytes(np.zeros((5, 20, 20), np.uint8)))
    with pytest.raises(DataError, match="do not belong together"):
        load_mnist(tmp_path)


def test_corrupt_gzip(tmp_path):
    _write_mnist(tmp_path, gz=True)
    p = tmp_path / (FILES["train_x"] + ".gz")
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(DataError, match="gzip"):
        load_mnist(tmp_path)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_only_raise_data_error(raw):
    try:
        parse_idx(raw, "f")
    except DataError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40))
def test_every_truncation_is_caught(cut):
    raw = _idx_bytes(np.arange(30, dtype=np.uint8).reshape(2, 3, 5))
    with pytest.raises(DataError):
        parse_idx(raw[:cut], "f")
