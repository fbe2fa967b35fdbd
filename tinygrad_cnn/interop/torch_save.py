"""Write a PyTorch state-dict file without torch: the zip layout of ``torch.save`` with a
pickle that names only ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and
storage types, i.e. what ``torch.load(path, weights_only=True)`` admits.

Example:
    >>> import tempfile; from pathlib import Path
    >>> import numpy as np
    >>> save_torch({"fc.weight": np.zeros((2, 3), np.float32)}, Path(tempfile.mkdtemp()) / "w.pt")
    PosixPath('.../w.pt')
"""
from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import InteropError, write_atomic
from .torch_load import STORAGE_DTYPES

#: numpy dtype -> PyTorch storage type (the reader's table, inverted; bfloat16 is read only)
_STORAGE_OF = {np.dtype(code).newbyteorder("="): name for name, code in STORAGE_DTYPES.items()
               if name != "BFloat16Storage"}
_ARCHIVE = "archive"
_ALIGN = 64  # torch aligns every storage to 64 bytes (memory mapping needs it)


class _Pickle:
    """The few pickle opcodes (protocol 2) a state dict needs, written by hand so that no
    class has to be importable to write them."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")

    def glob(self, module: str, name: str) -> None:
        self.out += b"c" + f"{module}\n{name}\n".encode()

    def text(self, value: str) -> None:
        raw = value.encode("utf-8")
        self.out += b"X" + struct.pack("<I", len(raw)) + raw

    def int(self, value: int) -> None:
        if -2 ** 31 <= value < 2 ** 31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(raw)]) + raw

    def ints(self, values: tuple[int, ...]) -> None:
        self.out += b"("
        for v in values:
            self.int(int(v))
        self.out += b"t"

    def ordered_dict(self) -> None:
        self.glob("collections", "OrderedDict")
        self.out += b")R"

    def tensor(self, key: str, storage: str, array: np.ndarray) -> None:
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("
        self.text("storage")
        self.glob("torch", storage)
        self.text(key)
        self.text("cpu")
        self.int(array.size)
        self.out += b"tQ"  # persistent id tuple -> BINPERSID
        self.int(0)
        self.ints(array.shape)
        self.ints(tuple(s // array.itemsize for s in array.strides))
        self.out += b"\x89"  # requires_grad False
        self.ordered_dict()  # backward hooks
        self.out += b"tR"


def _prepare(state_dict: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    items = []
    for name, value in state_dict.items():
        arr = np.asarray(value)
        if not isinstance(name, str) or arr.dtype not in _STORAGE_OF:
            raise InteropError(f"cannot write {name!r} ({arr.dtype}) to a PyTorch file: names "
                               f"are strings and dtypes one of "
                               f"{', '.join(sorted(str(d) for d in _STORAGE_OF))}")
        items.append((name, np.asarray(arr, arr.dtype.newbyteorder("<"), order="C")))
    return items


def _write_zip(tmp: Path, pickle: bytes, arrays: list[np.ndarray]) -> None:
    with open(tmp, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        records = [("data.pkl", pickle), ("byteorder", b"little")]
        records += [(f"data/{i}", a.tobytes()) for i, a in enumerate(arrays)]
        records += [("version", b"3\n")]
        for name, data in records:
            info = zipfile.ZipInfo(f"{_ARCHIVE}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            start = fh.tell() + 30 + len(info.filename) + 4  # local header + extra header
            pad = (-start) % _ALIGN
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            zf.writestr(info, data)


def save_torch(state_dict: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Write ``state_dict`` (names -> numpy arrays) as a PyTorch file that
    ``torch.load(path, weights_only=True)`` reads into tensors, atomically.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn import nn
        >>> model = nn.Linear(3, 2)
        >>> save_torch(model.state_dict(), Path(tempfile.mkdtemp()) / "model.pt")
        PosixPath('.../model.pt')
    """
    items = _prepare(state_dict)
    pk = _Pickle()
    pk.ordered_dict()
    pk.out += b"("
    for i, (name, arr) in enumerate(items):
        pk.text(name)
        pk.tensor(str(i), _STORAGE_OF[arr.dtype.newbyteorder("=")], arr)
    pk.out += b"u."
    data = bytes(pk.out)
    return write_atomic(path, lambda tmp: _write_zip(tmp, data, [a for _, a in items]))
