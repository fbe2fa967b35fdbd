"""MNIST and Fashion-MNIST from IDX files (raw or ``.gz``).

IDX: two zero bytes, a type code (0x08 ubyte ... 0x0E float64), the number of dimensions, then
that many big-endian uint32 sizes and the row-major data. Images have magic 2051 (N, H, W) and
labels 2049 (N). Files: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally ``.gz``; also looked
for in ``raw/`` and torchvision's ``MNIST/raw`` / ``FashionMNIST/raw`` below the path.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a-idx1-ubyte"
    >>> write_idx(p, np.array([1, 2, 3], np.uint8)); read_idx(p)
    array([1, 2, 3], dtype=uint8)
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from .dataset import Dataset, DatasetSplits, check_labels, make_splits
from .errors import DataError
from .files import listing, read_bytes, require_dir

IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
FILES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
         "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
_SUBDIRS = ("", "raw", "MNIST/raw", "FashionMNIST/raw")


def parse_idx(raw: bytes, where: str) -> np.ndarray:
    """Decode IDX bytes into a native-endian array, validating magic, type, dims and length."""
    if len(raw) < 4:
        raise DataError(f"{where}: {len(raw)} bytes is too short for an IDX header; the file is truncated or not IDX")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in IDX_TYPES or not 1 <= ndim <= 4:
        raise DataError(f"{where}: bad IDX magic {raw[:4].hex()} (expected 0000 then a type code 08..0e and"
                        " 1..4 dimensions); this is not an (uncompressed or .gz) IDX file")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{where}: truncated IDX header ({len(raw)} bytes, need {head}); download the file again")
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    dtype = IDX_TYPES[code]
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - head
    if have < need:
        raise DataError(f"{where}: truncated IDX data: header says {dims} of {dtype.name} = {need} bytes"
                        f" but only {have} follow; download the file again")
    if have > need:
        raise DataError(f"{where}: {have - need} unexpected bytes after the IDX data {dims}; the file is"
                        " corrupt or mislabelled")
    arr = np.frombuffer(raw, dtype=dtype, count=need // dtype.itemsize, offset=head)
    return arr.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (raw or gzip) into an array.

    Example:
        >>> read_idx("/nonexistent-idx1-ubyte")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: /nonexistent-idx1-ubyte does not exist; check the path
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p} does not exist; check the path")
    return parse_idx(read_bytes(p), str(p))


def write_idx(path: str | Path, arr: np.ndarray) -> None:
    """Write ``arr`` as an IDX file (gzip when the name ends in ``.gz``); used by tests and tools.

    Example:
        >>> import tempfile, pathlib
        >>> write_idx(pathlib.Path(tempfile.mkdtemp()) / "x.gz", np.zeros((2, 3), np.uint8))
    """
    import gzip

    code = {v.newbyteorder("="): k for k, v in IDX_TYPES.items()}[arr.dtype.newbyteorder("=")]
    data = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data += np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes()
    Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)


def _find(root: Path, name: str, kind: str) -> Path:
    """Locate ``name`` or ``name.gz`` (also with '.' for the last '-') under the usual subfolders."""
    alt = name[::-1].replace("-", ".", 1)[::-1]  # train-images.idx3-ubyte style names
    for sub in _SUBDIRS:
        for base in (name, alt):
            for suffix in ("", ".gz"):
                p = root / sub / (base + suffix)
                if p.is_file():
                    return p
    raise DataError(f"{kind}: no {name}[.gz] in {root} (found: {listing(root)}); expected the four files "
                    + ", ".join(FILES.values()) + " (raw or .gz)")


def _images(path: Path) -> np.ndarray:
    a = read_idx(path)
    if a.ndim != 3:
        raise DataError(f"{path}: expected images (N, H, W) with 3 dimensions, found shape {a.shape};"
                        " is this a labels file under an images name?")
    if a.dtype != np.uint8:
        raise DataError(f"{path}: expected unsigned byte pixels (type 0x08), found {a.dtype}; not an MNIST image file")
    return a[:, None]


def _labels(path: Path) -> np.ndarray:
    a = read_idx(path)
    if a.ndim != 1:
        raise DataError(f"{path}: expected labels (N,) with 1 dimension, found shape {a.shape};"
                        " is this an images file under a labels name?")
    if a.dtype.kind not in "iu":
        raise DataError(f"{path}: labels must be integers, found {a.dtype}; not an MNIST label file")
    return a


def load_mnist(path: str | Path, classes: list[str] | None = None, name: str = "mnist",
               hflip_ok: bool = False) -> DatasetSplits:
    """Load MNIST-format IDX files from a directory: train from ``train-*``, test from ``t10k-*``.

    Example:
        >>> load_mnist("/nonexistent")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: mnist: /nonexistent does not exist; check the path after 'mnist:'
    """
    root = require_dir(path, name)
    classes = list(classes) if classes is not None else [str(i) for i in range(10)]
    parts = {}
    for split in ("train", "test"):
        xp, yp = _find(root, FILES[split + "_x"], name), _find(root, FILES[split + "_y"], name)
        x, y = _images(xp), _labels(yp)
        if len(x) != len(y):
            raise DataError(f"{name}: {xp.name} holds {len(x)} images but {yp.name} holds {len(y)} labels;"
                            " the files do not belong together")
        y = check_labels(y, str(yp), len(classes))
        parts[split] = Dataset(x, y, classes)
    if parts["train"].x.shape[1:] != parts["test"].x.shape[1:]:
        raise DataError(f"{name}: train images are {parts['train'].x.shape[2:]} but t10k images are "
                        f"{parts['test'].x.shape[2:]}; the files do not belong together")
    return make_splits(name, parts["train"], parts["test"], hflip_ok=hflip_ok)


def load_fashion_mnist(path: str | Path) -> DatasetSplits:
    """Fashion-MNIST: the MNIST file layout with clothing class names (flips are label-safe).

    Example:
        >>> FASHION_CLASSES[9]
        'Ankle boot'
    """
    return load_mnist(path, FASHION_CLASSES, name="fashion-mnist", hflip_ok=True)
