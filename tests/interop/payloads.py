"""Hostile and damaged files for the import tests (built here, never loaded by torch)."""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

from tinygrad_cnn.interop.torch_save import _Pickle


class RunsShell:
    """Unpickling this would call ``os.system(command)``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def zip_with_pickle(path: Path, data: bytes, storages: dict[str, bytes] | None = None) -> Path:
    """A torch.save-style archive whose data.pkl is ``data``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", data)
        for key, raw in (storages or {}).items():
            zf.writestr(f"archive/data/{key}", raw)
        zf.writestr("archive/version", b"3\n")
    return path


def shell_payload(path: Path, marker: Path) -> Path:
    """A state-dict file whose pickle runs ``touch marker`` when loaded unsafely."""
    evil = pickle.dumps({"weight": RunsShell(f"touch {marker}")}, protocol=2)
    return zip_with_pickle(path, evil)


def import_payload(path: Path, module: str) -> Path:
    """A pickle that would import ``module`` (GLOBAL opcode) and call its ``run``."""
    data = b"\x80\x02c" + f"{module}\nrun\n".encode() + b")R."
    return zip_with_pickle(path, data)


def huge_tensor(path: Path, size: tuple[int, ...], numel: int, stored: int,
                stride: int = 1) -> Path:
    """One float32 tensor of ``size`` (every stride ``stride``) over a storage that declares
    ``numel`` elements and holds ``stored``."""
    pk = _Pickle()
    pk.ordered_dict()
    pk.out += b"("
    pk.text("w")
    pk.glob("torch._utils", "_rebuild_tensor_v2")
    pk.out += b"(("
    pk.text("storage")
    pk.glob("torch", "FloatStorage")
    pk.text("0")
    pk.text("cpu")
    pk.int(numel)
    pk.out += b"tQ"
    pk.int(0)
    pk.ints(size)
    pk.ints((stride,) * len(size))
    pk.out += b"\x89"
    pk.ordered_dict()
    pk.out += b"tRu."
    return zip_with_pickle(path, bytes(pk.out), {"0": b"\0" * 4 * stored})


def flip(path: Path, offset: int) -> bytes:
    """XOR one byte of the file with 0xFF; returns the file's new bytes."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


def member_data_offset(path: Path, name: str) -> int:
    """Where the bytes of zip member ``name`` start in the file."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    start = info.header_offset
    name_len = int.from_bytes(raw[start + 26:start + 28], "little")
    extra_len = int.from_bytes(raw[start + 28:start + 30], "little")
    return start + 30 + name_len + extra_len
