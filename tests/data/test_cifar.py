"""CIFAR-10 binary and python versions on files written here; the unpickler refuses code."""
import os
import pickle
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_cnn.data.cifar import CLASSES, RECORD, load_cifar10, safe_unpickle
from tinygrad_cnn.data.errors import DataError


def _batch(n, seed, k=10):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3072)).astype(np.uint8), (np.arange(n) % k).astype(np.uint8)


def _write_bin(d, n=6, batches=5, names=None):
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, name in enumerate([f"data_batch_{j}.bin" for j in range(1, batches + 1)] + ["test_batch.bin"]):
        x, y = _batch(n, i)
        (d / name).write_bytes(np.concatenate([y[:, None], x], axis=1).tobytes())
        out[name] = (x, y)
    if names:
        (d / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    return out


def _write_py(d, n=6, batches=5, protocol=2):
    # The real files are Python 2 cPickles of dicts with bytes keys; protocol 2 from Python 3
    # additionally encodes the array bytes through _codecs.encode, which must be allowed.
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, name in enumerate([f"data_batch_{j}" for j in range(1, batches + 1)] + ["test_batch"]):
        x, y = _batch(n, 10 + i)
        entry = {b"batch_label": b"training batch", b"labels": y.tolist(), b"data": x,
                 b"filenames": [b"a.png"] * n}
        (d / name).write_bytes(pickle.dumps(entry, protocol=protocol))
        out[name] = (x, y)
    meta = {b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072}
    (d / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return out


def _py2_str(b):
    return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<i", len(b)) + b)


def _py2_pickle(d):
    """Protocol-2 opcodes as Python 2's cPickle wrote the real CIFAR files (str keys, str array data)."""
    out = b"\x80\x02}("
    for k, v in d.items():
        out += _py2_str(k)
        if isinstance(v, np.ndarray):
            shape = b"".join(b"J" + struct.pack("<i", n) for n in v.shape)
            out += (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _py2_str(b"b") + b"\x87R"
                    + b"(K\x01(" + shape + b"tcnumpy\ndtype\n" + _py2_str(b"u1") + b"K\x00K\x01\x87R"
                    + b"(K\x03" + _py2_str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
                    + b"\x89" + _py2_str(v.tobytes()) + b"tb")
        else:
            out += b"](" + b"".join(b"K" + bytes([int(i)]) for i in v) + b"e"
    return out + b"u."


def test_python2_pickles_like_the_real_files(tmp_path):
    files = {}
    for i, name in enumerate(["data_batch_1", "test_batch"]):
        x, y = _batch(3, 30 + i)
        (tmp_path / name).write_bytes(_py2_pickle({b"data": x, b"labels": y.tolist()}))
        files[name] = (x, y)
    (tmp_path / "batches.meta").write_bytes(pickle.dumps({b"label_names": [c.encode() for c in "abcdefghij"]}, 2))
    s = load_cifar10(tmp_path)
    assert s.classes == list("abcdefghij") and "using 1 of 5" in s.notes[0]
    assert np.array_equal(s.train.x.reshape(3, -1), files["data_batch_1"][0])
    assert np.array_equal(s.test.y, files["test_batch"][1])


def test_binary_version(tmp_path):
    files = _write_bin(tmp_path, names=["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
    s = load_cifar10(tmp_path)
    assert len(s.train) == 30 and len(s.test) == 6 and s.input_shape == (3, 32, 32)
    assert s.classes[:2] == ["a", "b"] and s.hflip_ok and s.notes == []
    x, y = files["data_batch_2.bin"]
    assert np.array_equal(s.train.x[6:12].reshape(6, -1), x) and np.array_equal(s.train.y[6:12], y)
    # R, G and B are whole 32x32 planes in that order.
    assert np.array_equal(s.train.x[6, 1].ravel(), x[0, 1024:2048])


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python_version_in_subfolder(tmp_path, protocol):
    files = _write_py(tmp_path / "cifar-10-batches-py", protocol=protocol)
    s = load_cifar10(tmp_path)
    assert s.classes == CLASSES and len(s.train) == 30
    x, y = files["test_batch"]
    assert np.array_equal(s.test.x.reshape(6, -1), x) and np.array_equal(s.test.y, y)


def test_binary_subfolder_and_default_names(tmp_path):
    _write_bin(tmp_path / "cifar-10-batches-bin", batches=2)
    s = load_cifar10(tmp_path)
    assert s.classes == CLASSES and len(s.train) == 12
    assert "using 2 of 5 training batches" in s.notes[0]


def test_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_cifar10(tmp_path / "nope")
    with pytest.raises(DataError, match="no data_batch_1.bin or data_batch_1 in .*found: nothing"):
        load_cifar10(tmp_path)


def test_missing_test_batch(tmp_path):
    _write_bin(tmp_path)
    (tmp_path / "test_batch.bin").unlink()
    with pytest.raises(DataError, match="no test_batch.bin"):
        load_cifar10(tmp_path)


def test_truncated_binary(tmp_path):
    _write_bin(tmp_path)
    p = tmp_path / "data_batch_3.bin"
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(DataError, match=f"data_batch_3.bin: {6 * RECORD - 10} bytes is not a whole number"):
        load_cifar10(tmp_path)


def test_binary_label_out_of_range(tmp_path):
    _write_bin(tmp_path)
    p = tmp_path / "test_batch.bin"
    raw = bytearray(p.read_bytes())
    raw[RECORD] = 12
    p.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="label 12 is out of range for 10 classes"):
        load_cifar10(tmp_path)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path):
    _write_py(tmp_path)
    marker = tmp_path / "pwned"
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": _Evil(marker)}, protocol=2))
    with pytest.raises(DataError, match=r"refusing to unpickle global (posix|os|nt)\.system"):
        load_cifar10(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps(np.ma.masked_array([1, 2])),              # an ndarray subclass
    pickle.dumps(np.array([{"a": 1}], dtype=object)),       # object arrays
    b"cbuiltins\neval\n(S'1+1'\ntR.",                        # a hand-written eval call
    b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.",
])
def test_unpickler_refuses_globals(payload):
    with pytest.raises(DataError, match="refusing to unpickle"):
        safe_unpickle(payload, "f")


def test_python_batch_with_bad_content(tmp_path):
    _write_py(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(DataError, match="expected a pickled dict, found list"):
        load_cifar10(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(DataError, match=r"'data' is uint8 \(2, 100\), expected uint8 \(N, 3072\)"):
        load_cifar10(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps({b"labels": [0, 1]}))
    with pytest.raises(DataError, match="no 'data' entry"):
        load_cifar10(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}))
    with pytest.raises(DataError, match="2 images but 1 labels"):
        load_cifar10(tmp_path)


def test_truncated_pickle(tmp_path):
    _write_py(tmp_path)
    p = tmp_path / "test_batch"
    p.write_bytes(p.read_bytes()[:500])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_cifar10(tmp_path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_only_raise_data_error(raw):
    try:
        safe_unpickle(raw, "f")
    except DataError:
        pass


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400))
def test_every_pickle_truncation_is_caught(cut):
    raw = pickle.dumps({b"data": np.zeros((1, 100), np.uint8), b"labels": [1]}, protocol=2)
    if cut < len(raw):
        with pytest.raises(DataError):
            safe_unpickle(raw[:cut], "f")
