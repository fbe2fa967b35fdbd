"""CIFAR-10 in its binary and python versions; the python pickles go through a restricted unpickler.

Binary (``cifar-10-batches-bin``): ``data_batch_1.bin`` .. ``data_batch_5.bin`` and
``test_batch.bin``, records of one label byte plus 3072 pixel bytes (R, G, B planes of 32x32),
class names in ``batches.meta.txt``. Python (``cifar-10-batches-py``): pickles ``data_batch_1`` ..
``data_batch_5``, ``test_batch`` (dicts with ``b'data'`` (N, 3072) uint8 and ``b'labels'``) and
``batches.meta`` (``b'label_names'``). Pickle can run arbitrary code, so ``safe_unpickle`` only
resolves a handful of numpy/codec constructors and refuses every other global.

Example:
    >>> import pickle, os
    >>> safe_unpickle(pickle.dumps({b"labels": [1, 2]}, protocol=2), "x")
    {b'labels': [1, 2]}
    >>> safe_unpickle(pickle.dumps({b"labels": [[1]]}), "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinygrad_cnn.data.errors.DataError: x: refusing to unpickle a nested container in labels ...
    >>> class Evil:
    ...     def __reduce__(self): return (os.system, ("echo pwned",))
    >>> safe_unpickle(pickle.dumps(Evil()), "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinygrad_cnn.data.errors.DataError: x: refusing to unpickle ...system...
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from .dataset import Dataset, DatasetSplits, check_labels, make_splits
from .errors import DataError
from .files import listing, read_bytes, require_dir

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
RECORD = 1 + 3 * 32 * 32


class _Refused(Exception):
    """Raised inside the unpickler; turned into a DataError naming the file."""


class _NdarrayType:
    """Stands for ``numpy.ndarray`` inside a pickle: only :func:`_reconstruct` accepts it and
    calling it is refused (``ndarray(shape)`` would allocate whatever the file declares)."""

    def __call__(self, *args, **kwargs):
        raise _Refused("numpy.ndarray called directly")


_NDARRAY = _NdarrayType()


def _plain_dtype(*args) -> np.dtype:
    d = np.dtype(*args)
    if d.hasobject:
        raise _Refused("numpy object dtype")
    return d


def _shape(shape, where: str) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or len(shape) > 4 or \
            not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise _Refused(f"{where} with shape {shape!r}")
    return shape


def _from_bytes(raw, dtype, shape, fortran: bool, where: str) -> np.ndarray:
    """An array over bytes already in memory: its declared size must be exactly their length,
    so nothing larger than the file is ever allocated."""
    shape = _shape(shape, where)
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise _Refused(f"{where} with dtype {dtype!r}")
    if not isinstance(raw, (bytes, bytearray)):
        raise _Refused(f"{where} with {type(raw).__name__} data")
    if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(raw):
        raise _Refused(f"{where} declaring shape {shape} of {dtype} over {len(raw)} bytes")
    return np.frombuffer(bytes(raw), dtype=dtype).reshape(shape, order="F" if fortran else "C")


class _ArrayStub:
    """What ``_reconstruct`` returns: an empty placeholder that the pickle's BUILD fills from
    its raw bytes (numpy's own ``_reconstruct`` would allocate the declared shape first)."""

    array: np.ndarray | None = None

    def __setstate__(self, state) -> None:
        if not isinstance(state, tuple) or len(state) != 5 or self.array is not None:
            raise _Refused("array state")
        _version, shape, dtype, fortran, raw = state
        self.array = _from_bytes(raw, dtype, shape, bool(fortran), "array")


def _reconstruct(subtype, shape, dtype):
    if subtype is not _NDARRAY:
        raise _Refused(f"array subtype {subtype!r}")
    _shape(shape, "array")
    return _ArrayStub()


def _frombuffer(buf, dtype, shape, order):
    if isinstance(dtype, str):
        dtype = _plain_dtype(dtype)
    return _from_bytes(buf, dtype, shape, order == "F", "buffer array").copy()


def _scalar(dtype, data=None):
    d = _plain_dtype(dtype)
    if data is None:
        return d.type(0)
    if not isinstance(data, bytes) or len(data) != d.itemsize:
        raise _Refused("numpy scalar data")
    return np.frombuffer(data, dtype=d, count=1)[0]


def _codecs_encode(text, encoding="utf-8"):
    # Python 3 pickles bytes at protocol <= 2 as _codecs.encode(str, 'latin1').
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused(f"_codecs.encode with {encoding!r}")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _plain_dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _codecs_encode,
}
#: what a CIFAR batch or meta pickle holds: a dict of these keys (bytes or str)
_KEYS = {"data", "labels", "filenames", "batch_label", "label_names", "num_cases_per_batch",
         "num_vis", "fine_labels", "coarse_labels"}


class _SafeUnpickler(pickle.Unpickler):
    """An unpickler that can build only dicts, lists, tuples, str/bytes, numbers and plain
    arrays whose size is that of their bytes in the file."""

    def find_class(self, module: str, name: str):
        fn = _ALLOWED.get((module, name))
        if fn is None:
            raise _Refused(f"global {module}.{name}")
        return fn

    def persistent_load(self, pid):
        raise _Refused("a persistent id")


def _admit(value, where: str, depth: int = 0):
    """Keep only what a CIFAR pickle is (a flat dict of arrays, lists of numbers or bytes,
    bytes and numbers), turning array placeholders into arrays; refuse anything else."""
    if isinstance(value, _ArrayStub):
        if value.array is None:
            raise _Refused("an array without data")
        return value.array
    if isinstance(value, (bytes, str, int, float, np.ndarray, np.generic)) and \
            not isinstance(value, bool):
        return value
    if isinstance(value, list) and depth <= 1:  # a label list (or a bare list: not a batch)
        out = []
        for item in value:
            if isinstance(item, (list, tuple, dict, _ArrayStub)):
                raise _Refused(f"a nested container in {where}")
            out.append(_admit(item, where, 2))
        return out
    if isinstance(value, dict) and depth == 0:
        out_d = {}
        for k, v in value.items():
            name = k.decode("latin1") if isinstance(k, bytes) else k
            if not isinstance(name, str) or name not in _KEYS:
                raise _Refused(f"an unexpected entry {str(name)[:40]!r}")
            out_d[k] = _admit(v, name, 1)
        return out_d
    raise _Refused(f"a {type(value).__name__} in {where}")


def safe_unpickle(data: bytes, where: str):
    """Unpickle ``data`` allowing no globals but plain numpy arrays, and only the structure of
    a CIFAR batch (a flat dict of arrays, lists, bytes and numbers); any problem is a
    ``DataError``. No array larger than the pickle's own bytes is ever allocated.

    Example:
        >>> safe_unpickle(pickle.dumps({"data": np.arange(3)}), "f")["data"]
        array([0, 1, 2])
    """
    try:
        return _admit(_SafeUnpickler(io.BytesIO(data), encoding="bytes").load(), "the pickle")
    except _Refused as e:
        raise DataError(f"{where}: refusing to unpickle {e} (only a CIFAR batch: dicts, lists, bytes "
                        "and numpy arrays); use the binary version of CIFAR-10 or a trusted copy") from None
    except DataError:
        raise
    except RecursionError:
        raise DataError(f"{where}: the pickle nests too deeply; not a CIFAR batch") from None
    except Exception as e:  # any decoding error of untrusted bytes is a bad file, not a crash
        raise DataError(f"{where}: not a readable CIFAR python pickle ({type(e).__name__}: {e});"
                        " the file is truncated or corrupt, download it again") from None


def _get(d: dict, key: str, where: str):
    for k in (key.encode(), key):
        if k in d:
            return d[k]
    found = ", ".join(sorted(k.decode() if isinstance(k, bytes) else str(k) for k in d))
    raise DataError(f"{where}: no '{key}' entry (found: {found}); not a CIFAR-10 batch")


def _py_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    d = safe_unpickle(read_bytes(path), str(path))
    if not isinstance(d, dict):
        raise DataError(f"{path}: expected a pickled dict, found {type(d).__name__}; not a CIFAR-10 batch")
    data = _get(d, "data", str(path))
    labels = _get(d, "labels", str(path))
    if not isinstance(data, np.ndarray):
        raise DataError(f"{path}: 'data' is a {type(data).__name__}, expected a uint8 array (N, 3072); not a"
                        " CIFAR-10 batch")
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataError(f"{path}: 'data' is {data.dtype} {data.shape}, expected uint8 (N, 3072); not a CIFAR-10 batch")
    if isinstance(labels, list) and not all(type(v) is int for v in labels):
        raise DataError(f"{path}: 'labels' must be a list of integers; the batch is corrupt")
    if not isinstance(labels, (list, np.ndarray)):
        raise DataError(f"{path}: 'labels' is a {type(labels).__name__}, expected a list of integers;"
                        " not a CIFAR-10 batch")
    labels = np.asarray(labels) if not isinstance(labels, np.ndarray) else labels
    if labels.ndim != 1 or len(labels) != len(data):
        raise DataError(f"{path}: {len(data)} images but {len(labels)} labels; the batch is corrupt")
    return data.reshape(-1, 3, 32, 32), check_labels(labels, str(path))


def _bin_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = read_bytes(path)
    if len(raw) == 0 or len(raw) % RECORD:
        raise DataError(f"{path}: {len(raw)} bytes is not a whole number of {RECORD}-byte records (1 label byte"
                        " + 3072 pixels); the file is truncated or not a CIFAR-10 binary batch")
    rec = np.frombuffer(raw, np.uint8).reshape(-1, RECORD)
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), rec[:, 0].astype(np.int64)


def _names_bin(root: Path) -> list[str]:
    p = root / "batches.meta.txt"
    if not p.is_file():
        return list(CLASSES)
    names = [ln.strip() for ln in read_bytes(p).decode("utf-8", "replace").splitlines() if ln.strip()]
    return names or list(CLASSES)


def _names_py(root: Path) -> list[str]:
    p = root / "batches.meta"
    if not p.is_file():
        return list(CLASSES)
    d = safe_unpickle(read_bytes(p), str(p))
    names = _get(d, "label_names", str(p)) if isinstance(d, dict) else None
    if not isinstance(names, (list, tuple)) or not names:
        raise DataError(f"{p}: 'label_names' is not a list of names; the file is corrupt")
    return [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names]


def load_cifar10(path: str | Path) -> DatasetSplits:
    """Load CIFAR-10 (binary or python version) from a directory or its ``cifar-10-batches-*`` parent.

    Example:
        >>> load_cifar10("/nonexistent")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: cifar10: /nonexistent does not exist; check the path after 'cifar10:'
    """
    root = require_dir(path, "cifar10")
    for sub in ("cifar-10-batches-bin", "cifar-10-batches-py"):
        if (root / sub).is_dir():
            root = root / sub
            break
    if (root / "data_batch_1.bin").is_file():
        ext, read, classes = ".bin", _bin_batch, _names_bin(root)
    elif (root / "data_batch_1").is_file():
        ext, read, classes = "", _py_batch, _names_py(root)
    else:
        raise DataError(f"cifar10: no data_batch_1.bin or data_batch_1 in {root} (found: {listing(root)});"
                        " expected data_batch_1..5[.bin] and test_batch[.bin] or a cifar-10-batches-bin/-py folder")
    test_path = root / ("test_batch" + ext)
    if not test_path.is_file():
        raise DataError(f"cifar10: no {test_path.name} in {root} (found: {listing(root)}); the test split is missing")
    train_paths = [root / f"data_batch_{i}{ext}" for i in range(1, 6) if (root / f"data_batch_{i}{ext}").is_file()]
    xs, ys = zip(*(read(p) for p in train_paths))
    for p, y in zip(train_paths, ys):
        check_labels(y, str(p), len(classes))
    xt, yt = read(test_path)
    check_labels(yt, str(test_path), len(classes))
    notes = [] if len(train_paths) == 5 else [
        f"cifar10: using {len(train_paths)} of 5 training batches ({', '.join(p.name for p in train_paths)})"]
    train = Dataset(np.concatenate(xs), np.concatenate(ys), classes)
    return make_splits("cifar10", train, Dataset(xt, yt, classes), hflip_ok=True, notes=notes)
