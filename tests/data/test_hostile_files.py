"""Hostile data files: pickles declaring huge arrays, deflate and gzip bombs, links out of an
image folder, deeply nested model files. Each is one DataError/ConfigError, allocating nothing
large."""
from __future__ import annotations

import gzip
import pickle
import resource

import h5py
import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.data import DataError, load_dataset, safe_unpickle
from tinygrad_cnn.data.files import read_bytes
from tinygrad_cnn.data.limits import max_data_bytes_set


class _Declares:
    """Pickles as numpy's own (_reconstruct + BUILD) array recipe, with a forged state."""

    def __init__(self, shape, raw: bytes) -> None:
        self.shape, self.raw = shape, raw

    def __reduce__(self):
        recipe = np.zeros(1, np.uint8).__reduce__()  # (_reconstruct, (ndarray, (0,), b'b'), state)
        return recipe[0], recipe[1], (1, self.shape, np.dtype(np.uint8), False, self.raw)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_pickle_cannot_declare_more_than_its_bytes():
    before = _peak_mb()
    bomb = pickle.dumps({b"data": _Declares((4_000_000, 3072), b"\0" * 16), b"labels": [0]},
                        protocol=2)
    assert len(bomb) < 400
    with pytest.raises(DataError, match=r"refusing to unpickle array declaring shape "
                                        r"\(4000000, 3072\) of uint8 over 16 bytes"):
        safe_unpickle(bomb, "p")
    assert _peak_mb() - before < 100
    good = pickle.dumps({b"data": _Declares((2, 8), bytes(range(16)))}, protocol=2)
    assert safe_unpickle(good, "p")[b"data"].tolist()[1][:2] == [8, 9]


@pytest.mark.parametrize("payload", [
    {b"labels": [[0] * 3] * 3},                    # nested lists (a memo-reference bomb's seed)
    {b"labels": {b"x": 1}},                         # a dict inside
    {b"extra_key": 1},                              # not a CIFAR entry
    [[1, 2], [3]],                                  # nested at the top
])
def test_only_the_structure_of_a_cifar_batch_is_admitted(payload):
    with pytest.raises(DataError, match="refusing to unpickle"):
        safe_unpickle(pickle.dumps(payload, protocol=2), "p")


def test_self_referencing_list_is_refused():
    loop: list = [0]
    loop.append(loop)
    with pytest.raises(DataError, match="refusing to unpickle a nested container"):
        safe_unpickle(pickle.dumps({b"labels": loop}, protocol=2), "p")


def test_npz_and_h5_declared_sizes_are_checked_before_reading(tmp_path):
    npz = tmp_path / "bomb.npz"
    np.savez_compressed(npz, x=np.zeros((400, 3, 32, 32), np.uint8), y=np.zeros(400, np.int64))
    assert npz.stat().st_size < 100_000
    with max_data_bytes_set(1_000_000):
        with pytest.raises(DataError, match=r"bomb.npz\['x'\] declares 1228800 bytes, more than "
                                            r"the limit of 1000000 bytes.*`set_max_data_bytes\(\)` "
                                            r"or TGCNN_MAX_DATA_BYTES\)"):
            load_dataset(f"npz:{npz}")
    assert len(load_dataset(f"npz:{npz}").train) > 0  # the default limit admits it
    h5 = tmp_path / "bomb.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("x", shape=(10**6, 3, 256, 256), dtype=np.uint8, chunks=(1, 3, 256, 256),
                         compression="gzip")
        f["y"] = np.zeros(4, np.int64)
    assert h5.stat().st_size < 100_000
    with pytest.raises(DataError, match=r"bomb.h5\['x'\] declares 196608000000 bytes"):
        load_dataset(f"h5:{h5}")


def test_gzip_bomb_stops_at_the_limit(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\0" * 5_000_000))
    with max_data_bytes_set(1_000_000):
        with pytest.raises(DataError, match=r"\(decompressed\) declares 1000001 bytes, more than "
                                            "the limit"):
            read_bytes(path)
    assert len(read_bytes(path)) == 5_000_000
    two = tmp_path / "two.gz"
    two.write_bytes(gzip.compress(b"ab") + gzip.compress(b"cd"))
    assert read_bytes(two) == b"abcd"


def test_folder_stays_inside_its_root(tmp_path):
    root = tmp_path / "root"
    for c in ("cat", "dog"):
        (root / c).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (4, 4)).save(root / c / f"{i}.png")
    outside = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(outside)
    (root / "cat" / "link.png").symlink_to(outside)
    with pytest.raises(DataError, match=r"cat/link.png links outside .*root \(to .*secret.png\); "
                                        "refusing to read it.*follow_links=True"):
        load_dataset(f"folder:{root}")
    splits = load_dataset(f"folder:{root}", follow_links=True)
    assert len(splits.train) + len(splits.test) == 7
    (root / "cat" / "link.png").unlink()
    (root / "bird").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(DataError, match="bird links outside"):
        load_dataset(f"folder:{root}")
    (root / "bird").unlink()
    (root / "cat" / "inner.png").symlink_to(root / "dog" / "0.png")  # inside: fine
    assert len(load_dataset(f"folder:{root}").classes) == 2


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_deeply_nested_model_file_is_one_error(tmp_path, suffix):
    from tinygrad_cnn.layers import ConfigError
    from tinygrad_cnn.models import from_file

    path = tmp_path / f"deep{suffix}"
    path.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(ConfigError, match="nest more than 64 deep"):
        from_file(path)
