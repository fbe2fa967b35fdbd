"""load_dataset spec parsing, options and one load per kind through the single entry point."""
import gzip
import pickle
import struct

import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.data import DataError, available_datasets, load_dataset, parse_spec


def test_available_datasets_lists_every_kind():
    kinds = {k.name: k for k in available_datasets()}
    assert list(kinds) == ["shapes", "digits", "mnist", "fashion-mnist", "cifar10", "folder", "npz", "h5"]
    assert "t10k-images-idx3-ubyte" in kinds["mnist"].files and kinds["mnist"].needs_path
    assert "test_batch.bin" in kinds["cifar10"].files and not kinds["shapes"].needs_path
    assert all(k.description and k.files for k in kinds.values())


@pytest.mark.parametrize("spec, kind, path", [
    ("shapes", "shapes", None), (" Shapes ", "shapes", None), ("mnist:/a/b", "mnist", "/a/b"),
    ("fashion:/x", "fashion-mnist", "/x"), ("CIFAR-10:d", "cifar10", "d"), ("npz:a:b.npz", "npz", "a:b.npz"),
])
def test_parse_spec(spec, kind, path):
    k, p = parse_spec(spec)
    assert (k.name, p) == (kind, path)


@pytest.mark.parametrize("spec, match", [
    ("", "empty dataset name"),
    ("mnst:/x", "did you mean mnist"),
    ("imagenet", "unknown dataset 'imagenet'; use one of shapes, digits"),
    ("mnist", "needs a path: use mnist:PATH"),
    ("npz:", "needs a path"),
    ("shapes:/tmp", "takes no path"),
])
def test_bad_specs(spec, match):
    with pytest.raises(DataError, match=match):
        load_dataset(spec)


def test_bare_path_gets_a_hint(tmp_path):
    with pytest.raises(DataError, match=f"use folder:{tmp_path}"):
        load_dataset(str(tmp_path))
    with pytest.raises(DataError, match="use npz:data.npz"):
        load_dataset("data.npz")


def test_options_are_checked():
    with pytest.raises(DataError, match="does not take option.* layout; accepted: n_train, n_test"):
        load_dataset("shapes", layout="nhwc")
    with pytest.raises(DataError, match="accepted: none"):
        load_dataset("mnist:/x", test_fraction=0.2)
    with pytest.raises(DataError, match="n_train must be a positive integer, got 'many'"):
        load_dataset("shapes", n_train="many")
    with pytest.raises(DataError, match="bad option value"):
        load_dataset("shapes", size="big")
    s = load_dataset("shapes", seed=2, n_train=30, n_test=10, size=None)
    assert len(s.train) == 30 and s.input_shape == (3, 32, 32)


def test_seed_reaches_the_generator():
    a = load_dataset("shapes", seed=1, n_train=10, n_test=10)
    b = load_dataset("shapes", seed=2, n_train=10, n_test=10)
    assert not np.array_equal(a.train.x, b.train.x)


def _idx(arr):
    return struct.pack(">HBB", 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def test_every_kind_from_disk(tmp_path):
    m = tmp_path / "mnist"
    m.mkdir()
    for name, arr in [("train-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8)),
                      ("train-labels-idx1-ubyte", np.arange(10, dtype=np.uint8)),
                      ("t10k-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8)),
                      ("t10k-labels-idx1-ubyte", np.arange(3, dtype=np.uint8))]:
        (m / (name + ".gz")).write_bytes(gzip.compress(_idx(arr)))
    assert load_dataset(f"mnist:{m}").input_shape == (1, 28, 28)
    assert load_dataset(f"fashion-mnist:{m}").classes[0] == "T-shirt/top"

    c = tmp_path / "cifar" / "cifar-10-batches-py"
    c.mkdir(parents=True)
    for name in ["data_batch_1", "test_batch"]:
        c.joinpath(name).write_bytes(pickle.dumps({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 3]}))
    s = load_dataset(f"cifar10:{tmp_path / 'cifar'}")
    assert s.input_shape == (3, 32, 32) and len(s.train) == 4

    f = tmp_path / "folder"
    for cls in ("a", "b"):
        (f / cls).mkdir(parents=True)
        for i in range(5):
            Image.new("RGB", (6, 6), (i, 0, 0)).save(f / cls / f"{i}.png")
    s = load_dataset(f"folder:{f}", seed=1, test_fraction=0.2)
    assert len(s.test) == 2 and s.classes == ["a", "b"]

    np.savez(tmp_path / "d.npz", x=np.zeros((10, 5, 5, 3), np.uint8), y=np.arange(10) % 2)
    assert load_dataset(f"npz:{tmp_path / 'd.npz'}", layout="nhwc").input_shape == (3, 5, 5)
    import h5py
    with h5py.File(tmp_path / "d.h5", "w") as fh:
        fh["x"], fh["y"] = np.zeros((10, 5, 5), np.uint8), np.arange(10) % 2
    assert load_dataset(f"h5:{tmp_path / 'd.h5'}").input_shape == (1, 5, 5)


def test_missing_paths_for_each_disk_kind(tmp_path):
    for k in available_datasets():
        if k.needs_path:
            with pytest.raises(DataError, match="does not exist") as e:
                load_dataset(f"{k.name}:{tmp_path / 'nope'}")
            assert "\n" not in str(e.value)
