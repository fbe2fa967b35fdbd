"""Datasets stored as arrays in ``.npz`` (numpy) or ``.h5`` (HDF5) files.

The file holds ``x`` (images) and ``y`` (integer labels 0..K-1), optionally ``x_test``/``y_test``
for the test split and ``classes`` (names). Without test arrays, a sibling file
``<stem>_test<ext>`` / ``<stem>-test<ext>`` / ``test<ext>`` holding ``x``/``y`` is used, else a
seeded stratified hold-out. Images may be NHWC, NCHW or NHW; the layout is guessed from where a
channel axis of size 1, 3 or 4 sits (``layout=`` overrides) and reported in ``notes``.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
    >>> np.savez(p, x=np.zeros((10, 8, 8, 3), np.uint8), y=np.arange(10) % 2)
    >>> s = load_npz(p); s.input_shape, s.notes[0]
    ((3, 8, 8), "npz: x has shape (10, 8, 8, 3): assumed NHWC (pass layout='nchw' if wrong)")
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .dataset import DEFAULT_TEST_FRACTION, Dataset, DatasetSplits, check_labels, holdout, make_splits
from .errors import DataError
from .files import require_file
from .limits import check_data_bytes

LAYOUTS = ("nchw", "nhwc", "nhw")
_CH = (1, 3, 4)


def to_nchw(x: np.ndarray, where: str, layout: str | None = None) -> tuple[np.ndarray, str]:
    """Bring images to (N, C, H, W) uint8/float32; returns the array and the layout used.

    Example:
        >>> to_nchw(np.zeros((5, 28, 28), np.uint8), "x")[0].shape
        (5, 1, 28, 28)
    """
    if layout is not None and layout.lower() not in LAYOUTS:
        raise DataError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    layout = layout.lower() if layout else None
    if x.ndim == 3 and layout in (None, "nhw"):
        layout, x = "nhw", x[:, None]
    elif x.ndim == 4 and layout is None:
        if x.shape[3] in _CH and x.shape[1] not in _CH:
            layout = "nhwc"
        elif x.shape[1] in _CH:
            layout = "nchw"
        else:
            raise DataError(f"{where}: cannot tell the channel axis of images {x.shape}: neither axis 1 nor 3 has"
                            " 1, 3 or 4 channels; pass layout='nchw' or 'nhwc'")
    elif not (x.ndim == 4 and layout in ("nchw", "nhwc")):
        raise DataError(f"{where}: images have shape {x.shape}, expected NHWC, NCHW or NHW"
                        + (f" matching layout '{layout}'" if layout else "") + "; reshape the array")
    if layout == "nhwc":
        x = x.transpose(0, 3, 1, 2)
    if x.dtype == np.uint8:
        return np.ascontiguousarray(x), layout
    if x.dtype.kind in "iu":
        if x.size and (x.min() < 0 or x.max() > 255):
            return np.ascontiguousarray(x, dtype=np.float32), layout
        return np.ascontiguousarray(x, dtype=np.uint8), layout
    if x.dtype.kind in "bf":
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not np.all(np.isfinite(x)):
            raise DataError(f"{where}: images contain NaN or infinite values; clean the data")
        return x, layout
    raise DataError(f"{where}: images have dtype {x.dtype}, expected numbers (uint8 or float); convert the array")


def _pick(get: Callable[[str], np.ndarray | None], names: tuple[str, ...]) -> np.ndarray | None:
    for n in names:
        a = get(n)
        if a is not None:
            return a
    return None


#: how an .npz (a zip archive) or a lone .npy file begins
_NPZ_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")


def _check_npz_signature(path: Path) -> None:
    """Refuse a file that is no zip archive (nor .npy) before numpy guesses it is a pickle."""
    with open(path, "rb") as f:
        head = f.read(6)
    if not head.startswith(_NPZ_SIGNATURES):
        raise DataError(f"npz: {path} is not an .npz archive (it starts with {head!r}, not a zip "
                        "signature); npz:PATH expects a file written by numpy.savez(path, x=..., "
                        "y=...)")


class _Source:
    """Arrays of one file behind a uniform ``get(key)``; ``keys`` for messages."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        self.keys: list[str] = []
        self._npz = self._h5 = None
        try:
            if kind == "npz":
                _check_npz_signature(path)
                obj = np.load(path, allow_pickle=False)
                if not hasattr(obj, "files"):
                    raise DataError(f"npz: {path} is a single array, expected an .npz archive with arrays 'x' and"
                                    " 'y'; save with numpy.savez(path, x=..., y=...)")
                self._npz, self.keys = obj, list(obj.files)
            else:
                import h5py

                self._h5 = h5py.File(path, "r")
                self.keys = list(self._h5.keys())
        except DataError:
            raise
        except Exception as e:  # not a zip/HDF5 file, truncated, ...
            what = "an .npz archive" if kind == "npz" else "an HDF5 file"
            raise DataError(f"{kind}: {path} is not readable as {what} ({type(e).__name__}: {e});"
                            " check the file and the kind before ':'") from None

    def get(self, key: str) -> np.ndarray | None:
        if key not in self.keys:
            return None
        where = f"{self.path}['{key}']"
        try:
            if self._npz is not None:
                check_data_bytes(_npy_member_bytes(self._npz, key, where), where)
                return self._npz[key]
            import h5py

            link = self._h5.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise DataError(f"{where} is a {type(link).__name__}; only plain datasets are read, copy the data in")
            ds = self._h5[key]
            if not isinstance(ds, h5py.Dataset):
                raise DataError(f"{where} is a group, expected an array; store the array at the file's top level")
            if ds.is_virtual or ds.external:
                raise DataError(f"{where} uses virtual or external storage; copy the data into the file")
            if ds.shape is None:
                raise DataError(f"{where} is an empty dataset (no dataspace); store an array")
            check_data_bytes(int(np.prod(ds.shape, dtype=object)) * ds.dtype.itemsize, where)
            if ds.dtype.kind in "SOU":
                return np.asarray(ds.asstr()[()], dtype=object).astype(str)
            return ds[()]
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"{where}: cannot read the array ({type(e).__name__}: {e}); the file is corrupt"
                            " or holds objects (save plain numbers)") from None

    def close(self) -> None:
        if self._h5 is not None:
            self._h5.close()
        if self._npz is not None:
            self._npz.close()


def _npy_member_bytes(npz: "np.lib.npyio.NpzFile", key: str, where: str) -> int:
    """The bytes the ``.npy`` member ``key`` declares in its header (read, not decompressed)."""
    from numpy.lib import format as npy

    if f"{key}.npy" not in npz.zip.namelist():
        raise DataError(f"{where} is not a .npy array inside the archive; save with numpy.savez")
    with npz.zip.open(f"{key}.npy") as member:
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = npy.read_array_header_2_0(member)
        else:
            raise DataError(f"{where}: unsupported .npy format version {version}")
    if dtype.hasobject:
        raise DataError(f"{where} holds objects; save plain numbers")
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def _siblings(path: Path) -> list[Path]:
    exts = [path.suffix] + ([".h5", ".hdf5"] if path.suffix.lower() in (".h5", ".hdf5") else [])
    names = [f"{path.stem}_test{e}" for e in exts] + [f"{path.stem}-test{e}" for e in exts]
    names += [f"test{e}" for e in exts if path.name != f"test{e}"]
    return [path.with_name(n) for n in dict.fromkeys(names)]


def _load_arrays(path: Path, kind: str, layout: str | None) -> tuple:
    """Read and validate train (and test, if stored) arrays and class names of one file."""
    p = require_file(path, kind)
    src = _Source(p, kind)
    try:
        x = _pick(src.get, ("x", "x_train"))
        y = _pick(src.get, ("y", "y_train"))
        if x is None or y is None:
            raise DataError(f"{kind}: {p} has no arrays {'x' if x is None else 'y'} (found: "
                            f"{', '.join(src.keys) or 'nothing'}); store images under 'x' and labels under 'y'")
        xt, yt = src.get("x_test"), src.get("y_test")
        if (xt is None) != (yt is None):
            raise DataError(f"{kind}: {p} has {'x_test' if yt is None else 'y_test'} without its partner;"
                            " store both x_test and y_test, or neither")
        names = src.get("classes")
    finally:
        src.close()
    test_from, test_x_key = ("x_test/y_test", f"{p}['x_test']") if xt is not None else (None, None)
    if xt is None:
        for sib in _siblings(p):
            if sib.is_file():
                other = _Source(sib, kind)
                try:
                    xt, yt = _pick(other.get, ("x", "x_test")), _pick(other.get, ("y", "y_test"))
                finally:
                    other.close()
                if xt is None or yt is None:
                    raise DataError(f"{kind}: test file {sib} has no arrays x and y (found: "
                                    f"{', '.join(other.keys) or 'nothing'}); store the test split under 'x' and 'y'")
                test_from, test_x_key = str(sib), f"{sib}['x']"
                break
    x, used = to_nchw(np.asarray(x), f"{p}['x']", layout)
    if len(x) != len(y):
        raise DataError(f"{kind}: {p} holds {len(x)} images but {len(y)} labels; store one label per image")
    classes = None
    if names is not None:
        classes = [str(n) for n in np.asarray(names).reshape(-1)]
    y = check_labels(y, f"{p}['y']", len(classes) if classes else None)
    if xt is not None:
        xt, _ = to_nchw(np.asarray(xt), test_x_key, used)
        if len(xt) != len(yt):
            raise DataError(f"{kind}: the test split ({test_from}) holds {len(xt)} images but {len(yt)} labels;"
                            " store one label per image")
        yt = check_labels(yt, f"{test_from} labels", len(classes) if classes else None)
    if classes is None:
        every = np.concatenate([y, yt]) if yt is not None else y
        k = int(every.max()) + 1 if every.size else 0
        missing = np.setdiff1d(np.arange(k), every)
        if missing.size:
            raise DataError(f"{kind}: labels must be 0..K-1 but {', '.join(map(str, missing[:5].tolist()))} never"
                            f" occur(s) while the largest label is {k - 1}; relabel to consecutive integers"
                            " or store the class names under 'classes'")
        classes = [str(i) for i in range(k)]
    return x, y, xt, yt, classes, used, test_from


def _finish(kind: str, p: Path, parts: tuple, seed: int, test_fraction: float, shape_note: str) -> DatasetSplits:
    """Bundle the arrays into splits, holding out a test split when the file has none."""
    x, y, xt, yt, classes, used, test_from = parts
    notes = [shape_note]
    train = Dataset(x, y, classes)
    if xt is None:
        train, test = holdout(train, test_fraction, seed)
        notes.append(f"{kind}: no test split in {p}: held out {len(test)} examples ({test_fraction:.0%},"
                     f" seed {seed}); store x_test/y_test or a file {p.stem}_test{p.suffix} for a fixed test split")
    else:
        test = Dataset(xt, yt, classes)
        notes.append(f"{kind}: test split from {test_from}")
    return make_splits(f"{kind}:{p}", train, test, hflip_ok=False, notes=notes)


def _load(kind: str, path: str | Path, seed: int, test_fraction: float, layout: str | None) -> DatasetSplits:
    p = Path(path).expanduser()
    parts = _load_arrays(p, kind, layout)
    x, used = parts[0], parts[5]
    shape = {"nhw": (len(x),) + x.shape[2:], "nchw": x.shape, "nhwc": (len(x),) + x.shape[2:] + x.shape[1:2]}[used]
    other = {"nhwc": "nchw", "nchw": "nhwc", "nhw": "nhw"}[used]
    note = f"{kind}: x has shape {tuple(int(v) for v in shape)}: assumed {used.upper()}"
    if used != "nhw":
        note += f" (pass layout='{other}' if wrong)"
    return _finish(kind, p, parts, seed, test_fraction, note)


def load_npz(path: str | Path, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION,
             layout: str | None = None) -> DatasetSplits:
    """Load a dataset from an ``.npz`` archive (see the module docstring for keys and layouts).

    Example:
        >>> load_npz("/nonexistent.npz")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: npz: /nonexistent.npz does not exist; check the path after 'npz:'
    """
    return _load("npz", path, seed, test_fraction, layout)


def load_h5(path: str | Path, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION,
            layout: str | None = None) -> DatasetSplits:
    """Load a dataset from an HDF5 file with top-level datasets ``x``, ``y`` (and ``x_test``, ``y_test``).

    Links to other files, soft links, virtual and external datasets are refused.

    Example:
        >>> import tempfile, pathlib, h5py
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.h5"
        >>> with h5py.File(p, "w") as f:
        ...     f["x"] = np.zeros((10, 1, 4, 4), np.float32); f["y"] = np.arange(10) % 2
        >>> load_h5(p).input_shape
        (1, 4, 4)
    """
    return _load("h5", path, seed, test_fraction, layout)
