"""Read PyTorch state-dict files (``torch.save``) without torch and without running their code.

The pickle inside is read by a restricted unpickler: the only globals it admits are the
tensor rebuild functions, the storage types of the numeric dtypes and
``collections.OrderedDict``, each replaced by a harmless stand-in; any other global (a whole
``nn.Module``, ``os.system``, any module to import) is refused before it is looked up, so
nothing from the file is imported or called. Tensors become numpy arrays viewed out of the
raw storages, after checking that every declared size fits the bytes the file really holds.

Both the zip format (``torch.save`` since 1.6) and the legacy format
(``_use_new_zipfile_serialization=False``) are read.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.interop import save_torch
    >>> from tinygrad_cnn.models import vgg11_bn
    >>> model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    >>> path = save_torch(model.state_dict(), Path(tempfile.mkdtemp()) / "vgg11_bn.pth")
    >>> state = load_torch(path)
    >>> state["features.0.weight"].shape
    (8, 3, 3, 3)
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ..errors import one_line
from .errors import InteropError
from .state import unwrap_state_dict

#: storage type name -> numpy dtype ("BFloat16" is widened to float32 after reading)
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "BFloat16Storage": "<u2", "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` and friends: only its name and dtype are used."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, np.dtype(STORAGE_DTYPES[name])


class _Storage:
    """A raw storage read from the file: a 1-D array, plus whether it holds bfloat16."""

    def __init__(self, array: np.ndarray, bfloat16: bool) -> None:
        self.array, self.bfloat16 = array, bfloat16


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> np.ndarray:
    """``torch._utils._rebuild_tensor_v2`` for numpy, refusing views outside the storage."""
    if not isinstance(storage, _Storage):
        raise InteropError(f"a tensor refers to {type(storage).__name__}, not to a storage")
    ints = (isinstance(offset, int) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride) and all(isinstance(v, int) for v in size + stride))
    if not ints or offset < 0 or any(v < 0 for v in size + stride):
        raise InteropError(f"a tensor declares offset {offset!r}, size {size!r}, stride "
                           f"{stride!r}; expected non-negative integers")
    numel = storage.array.size
    count = int(np.prod(size, dtype=object)) if size else 1
    if count > max(numel, 1):  # stride-0 (expanded) views would multiply the memory needed
        raise InteropError(f"a tensor of size {list(size)} ({count} elements) is declared over "
                           f"a storage of only {numel} elements")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= numel:
            raise InteropError(f"a tensor of size {list(size)} (offset {offset}, stride "
                               f"{list(stride)}) reaches element {last} of a storage of only "
                               f"{numel} elements")
    item = storage.array.itemsize
    out = np.lib.stride_tricks.as_strided(storage.array[offset:] if 0 not in size else
                                          storage.array[:0], shape=size,
                                          strides=tuple(s * item for s in stride)).copy()
    if storage.bfloat16:  # bfloat16 is the top half of a float32
        out = (out.astype("<u4") << 16).view("<f4")
    return out.astype(out.dtype.newbyteorder("="), copy=False)


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    return data


def _ordered_dict(*args: Any) -> OrderedDict:
    if args:
        raise InteropError("an OrderedDict is built with arguments; a state dict builds it empty")
    return OrderedDict()


_ALLOWED: dict[tuple[str, str], Callable[..., Any]] = {
    ("collections", "OrderedDict"): _ordered_dict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


def _refusal(module: str, name: str) -> InteropError:
    what = f"{module}.{name}"
    if module.startswith("torch.nn") or module.startswith("torchvision") or module == "__main__":
        return InteropError(f"the file holds a whole pickled model ({what}), not a state dict; "
                            "load it in PyTorch and save model.state_dict() instead "
                            "(torch.save(model.state_dict(), path))")
    return InteropError(f"the file's pickle asks for {what}, which a state dict never needs "
                        "(only tensors, storages and OrderedDict are admitted); refused "
                        "without running it")


class _Unpickler(pickle.Unpickler):
    """``find_class`` admits only :data:`_ALLOWED` and storage types; ``persistent_load``
    hands storages out of the file. With ``deferred`` (legacy files, whose storages follow
    the pickle) tensors are rebuilt later, by :func:`_resolve`."""

    def __init__(self, fh: Any, storage: Callable[[_StorageType, str, int], _Storage],
                 deferred: bool = False) -> None:
        super().__init__(fh)
        self._storage, self._deferred = storage, deferred
        self.seen: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:  # never imports anything
        if (module, name) in _ALLOWED:
            found = _ALLOWED[(module, name)]
            if self._deferred and found is _rebuild_tensor:
                return lambda *args: _Deferred(args)
            return found
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise _refusal(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int) and (len(pid) == 5 or pid[5] is None)):
            raise InteropError(f"unexpected persistent id {one_line(repr(pid))[:80]}; expected "
                               "('storage', <storage type>, key, location, size)")
        key = pid[2]
        if key not in self.seen:
            self.seen[key] = self._storage(pid[1], key, pid[4])
        return self.seen[key]


def _zip_reader(zf: zipfile.ZipFile, file_size: int, prefix: str, big_endian: bool
                ) -> Callable[[_StorageType, str, int], _Storage]:
    def storage(kind: _StorageType, key: str, numel: int) -> _Storage:
        name = f"{prefix}data/{key}"
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise InteropError(f"storage {key!r} is missing from the archive ({name})") from None
        if info.compress_type != zipfile.ZIP_STORED:  # torch.save never compresses
            raise InteropError(f"storage {key!r} is compressed; torch.save stores storages "
                               "uncompressed (the file was not written by torch.save)")
        want = numel * kind.dtype.itemsize
        if numel < 0 or info.file_size != want or info.compress_size > file_size:
            raise InteropError(f"storage {key!r} declares {numel} {kind.name} elements "
                               f"({want} bytes) but the archive holds {info.file_size} bytes "
                               f"for it (of a {file_size}-byte file)")
        raw = zf.read(name)
        dtype = kind.dtype.newbyteorder(">") if big_endian else kind.dtype
        return _Storage(np.frombuffer(raw, dtype=dtype), kind.name == "BFloat16Storage")
    return storage


def _load_zip(path: str, file_size: int) -> Any:
    with zipfile.ZipFile(path) as zf:
        pkls = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise InteropError("the zip holds no <name>/data.pkl: it is not a torch.save file")
        prefix = pkls[0][:-len("data.pkl")]
        names = set(zf.namelist())
        order = zf.read(prefix + "byteorder").decode().strip() if prefix + "byteorder" in names \
            else "little"
        if order not in ("little", "big"):
            raise InteropError(f"unknown byte order {order!r} (expected little or big)")
        if zf.getinfo(pkls[0]).file_size > 64 * max(file_size, 1):
            raise InteropError("data.pkl declares more bytes than a compressed pickle of this "
                               "file could hold")
        reader = _zip_reader(zf, file_size, prefix, order == "big")
        return _Unpickler(io.BytesIO(zf.read(pkls[0])), reader).load()


def _load_legacy(path: str, file_size: int) -> Any:
    """The pre-1.6 format: pickles of the magic number, protocol and system information, the
    object, the sorted storage keys, then each storage as an int64 count and its bytes."""
    with open(path, "rb") as fh:
        magic = _Unpickler(fh, _no_storage).load()
        if magic != _LEGACY_MAGIC:
            raise InteropError("neither a zip archive nor a legacy torch.save file: not a "
                               "PyTorch file")
        _Unpickler(fh, _no_storage).load()  # protocol version
        info = _Unpickler(fh, _no_storage).load()
        if isinstance(info, dict) and info.get("little_endian") is False:
            raise InteropError("a big-endian legacy file; re-save it with a current PyTorch")
        kinds: dict[str, tuple[_StorageType, int]] = {}

        def later(kind: _StorageType, key: str, numel: int) -> _Storage:
            kinds[key] = (kind, numel)
            return _Storage(np.zeros(0, kind.dtype), kind.name == "BFloat16Storage")

        loader = _Unpickler(fh, later, deferred=True)
        obj = loader.load()
        keys = _Unpickler(fh, _no_storage).load()
        if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(kinds):
            raise InteropError("the storage list does not match the tensors (damaged file)")
        for key in keys:
            kind, numel = kinds[key]
            (count,) = struct.unpack("<q", _read_exact(fh, 8))
            nbytes = count * kind.dtype.itemsize
            if count != numel or nbytes > file_size - fh.tell():
                raise InteropError(f"storage {key!r} declares {count} elements; the tensors "
                                   f"need {numel} and the rest of the file holds "
                                   f"{file_size - fh.tell()} bytes")
            loader.seen[key].array = np.frombuffer(_read_exact(fh, nbytes), kind.dtype)
    return _resolve(obj)


def _no_storage(kind: _StorageType, key: str, numel: int) -> _Storage:
    raise InteropError("a storage appears in a header record of the file (damaged file)")


def _read_exact(fh: Any, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise InteropError("the file ends early (truncated)")
    return data


class _Deferred:
    """A tensor of a legacy file, rebuilt once the storages after the pickle are read."""

    def __init__(self, args: tuple) -> None:
        self.args = args


def _resolve(obj: Any) -> Any:
    if isinstance(obj, _Deferred):
        return _rebuild_tensor(*obj.args)
    if isinstance(obj, dict):
        return type(obj)((k, _resolve(v)) for k, v in obj.items())
    return obj


def load_torch(path: str | os.PathLike[str]) -> "OrderedDict[str, np.ndarray]":
    """The state dict in the PyTorch file ``path`` as numpy arrays under the file's names.

    Accepts a plain state dict, one wrapped as ``{"state_dict": ...}`` or ``{"model": ...}``
    (Lightning, timm) and DataParallel's ``module.`` prefix (removed). Raises a one-line
    :class:`InteropError` for a damaged file, a forbidden global (nothing is run), a whole
    pickled model or a tensor larger than its storage.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> import numpy as np
        >>> from tinygrad_cnn.interop import save_torch
        >>> path = save_torch({"module.0.weight": np.ones((2, 3), np.float32)},
        ...                   Path(tempfile.mkdtemp()) / "weights.pt")
        >>> load_torch(path)["0.weight"].dtype       # DataParallel's "module." removed
        dtype('float32')
    """
    label = os.fspath(path)
    try:
        size = os.path.getsize(label)
        if zipfile.is_zipfile(label):
            obj = _load_zip(label, size)
        else:
            obj = _load_legacy(label, size)
    except InteropError as err:
        raise InteropError(f"{label}: {err}") from None
    except OSError as err:
        raise InteropError(f"{label}: cannot read it: {one_line(err.strerror or err)}") from None
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, TypeError,
            IndexError, KeyError, AttributeError, struct.error, UnicodeDecodeError,
            MemoryError, RecursionError) as err:
        raise InteropError(f"{label}: not a readable PyTorch file (damaged or truncated: "
                           f"{type(err).__name__}: {one_line(err)[:120]})") from None
    return unwrap_state_dict(obj, label)
