"""Opening untrusted checkpoint files: every check that runs before any array is read.

An HDF5 file cannot run code the way a pickle can, but it can point at other files (soft
and external links, external storage, virtual datasets) or declare arrays far larger than
the bytes it holds (memory exhaustion on read). :func:`check_structure` walks every link of
the file with h5py's low-level API and refuses all of that: only hard links, no object
reached twice, no named datatypes, and every dataset stored contiguously (or compactly)
inside the file, without filters, with exactly as many bytes as its shape and dtype declare.
So reading any dataset allocates at most the file's size.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn import nn
    >>> from tinygrad_cnn.checkpoint import save_checkpoint
    >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", nn.Linear(2, 1))
    >>> with open_checkpoint(path) as f:
    ...     version, framework = check_header(f, "model.h5")
    ...     check_structure(f, "model.h5")
    >>> version
    2
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np

from ..errors import one_line
from .errors import CheckpointError
from .layout import (ATTR_FORMAT, ATTR_FORMAT_VERSION, ATTR_FRAMEWORK_VERSION, FORMAT_NAME,
                     FORMAT_VERSION)

_OK_LAYOUTS = (h5py.h5d.CONTIGUOUS, h5py.h5d.COMPACT)
_WRITER = "pass a checkpoint written by `tgcnn train` or save_checkpoint()"


def open_checkpoint(path: str | os.PathLike[str]) -> h5py.File:
    """Open ``path`` read-only, or raise a :class:`CheckpointError` saying why it cannot be.

    Example:
        >>> open_checkpoint("missing.h5")
        Traceback (most recent call last):
        tinygrad_cnn.checkpoint.errors.CheckpointError: missing.h5 does not exist: check the path
    """
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p} does not exist: check the path")
    if p.is_dir():
        raise CheckpointError(f"{p} is a folder, not a checkpoint file: pass the .h5 file in it")
    if not os.access(p, os.R_OK):
        raise CheckpointError(f"cannot read {p}: permission denied")
    try:
        is_hdf5 = h5py.is_hdf5(str(p))
    except Exception as err:  # noqa: BLE001 - whatever HDF5 raises: one line
        raise CheckpointError(f"cannot read {p}: {one_line(err)}") from None
    if not is_hdf5:
        raise CheckpointError(f"{p} is not an HDF5 file: {_WRITER}")
    try:
        # locking=False: the file is only read, and locks fail on some network filesystems
        return h5py.File(p, "r", locking=False)
    except Exception as err:  # noqa: BLE001 - whatever HDF5 raises: one line
        raise corrupt(p, err) from None


def corrupt(path: str | os.PathLike[str], err: BaseException) -> CheckpointError:
    """The error for a file HDF5 fails to read (cut short or damaged)."""
    return CheckpointError(f"{path} is truncated or corrupt ({one_line(err)}): use an intact "
                           "copy or save the checkpoint again")


def _read_attr(obj: h5py.HLObject, name: str, label: str, vlen_ok: bool = False) -> Any:
    """A scalar string or integer attribute, or ``None`` when absent; checked before read.

    Variable-length strings live in HDF5's global heap, which a damaged file can make HDF5
    loop on forever: they are read only when ``vlen_ok`` (format version 1, whose writer used
    them); from version 2 on every string is fixed-length and a variable-length one refused.
    """
    if name not in obj.attrs:
        return None
    aid = obj.attrs.get_id(name)
    kind = aid.dtype.kind
    string = h5py.check_string_dtype(aid.dtype)
    if aid.shape != () or not (kind in "iu" or string):
        raise CheckpointError(f"{label}: attribute {name!r} must be a scalar string or "
                              f"integer, found shape {aid.shape} dtype {aid.dtype}: {_WRITER}")
    if string is not None and string.length is None and not vlen_ok:
        raise CheckpointError(f"{label}: attribute {name!r} is a variable-length string, which "
                              f"format version 2 never contains: {_WRITER}")
    value = obj.attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    elif isinstance(value, np.generic):
        value = value.item()
    return value


def read_str_attr(obj: h5py.HLObject, name: str, label: str, vlen_ok: bool = False
                  ) -> str | None:
    """A scalar string attribute (``None`` when absent or not a string)."""
    value = _read_attr(obj, name, label, vlen_ok)
    return value if isinstance(value, str) else None


def check_header(f: h5py.File, label: str) -> tuple[int, str]:
    """``(format_version, framework_version)`` from the root attributes, after checking that
    this is a tinygrad-cnn checkpoint this code can read. The integer version is read first:
    it says whether variable-length strings may be read (version 1 only)."""
    raw = f.attrs.get_id(ATTR_FORMAT_VERSION) if ATTR_FORMAT_VERSION in f.attrs else None
    vlen_ok = raw is not None and raw.dtype.kind in "iu" and raw.shape == () and \
        int(f.attrs[ATTR_FORMAT_VERSION]) == 1
    fmt = _read_attr(f, ATTR_FORMAT, label, vlen_ok)
    if fmt != FORMAT_NAME:
        found = "has no 'format' attribute" if fmt is None else f"has format {fmt!r}"
        raise CheckpointError(f"{label} is an HDF5 file but not a tinygrad-cnn checkpoint "
                              f"(it {found}): {_WRITER}")
    version = _read_attr(f, ATTR_FORMAT_VERSION, label, vlen_ok)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{label}: invalid format_version {version!r} (expected an "
                              f"integer >= 1): {_WRITER}")
    framework = _read_attr(f, ATTR_FRAMEWORK_VERSION, label, vlen_ok)
    if version > FORMAT_VERSION:
        by = f" {framework}" if isinstance(framework, str) else ""
        raise CheckpointError(f"{label} was written by a newer tinygrad-cnn{by} (format "
                              f"{version} > {FORMAT_VERSION}): upgrade tinygrad-cnn to load it")
    if not isinstance(framework, str):
        raise CheckpointError(f"{label}: the framework_version attribute is missing or not a "
                              f"string: {_WRITER}")
    return version, framework


def check_structure(f: h5py.File, label: str, version: int = 2) -> None:
    """Walk every link below the root; refuse anything that reads outside the file or
    declares more data than it stores (see the module docstring)."""
    file_size = f.id.get_filesize()
    seen: set[tuple[int, int]] = set()

    def visit(group: h5py.Group, prefix: str) -> None:
        for name in group:  # link names only: nothing is resolved yet
            where = f"{prefix}/{name}"
            raw = name.encode("utf-8")
            link_type = group.id.links.get_info(raw).type
            if link_type == h5py.h5l.TYPE_SOFT:
                _refuse(label, where, "is a soft link")
            if link_type == h5py.h5l.TYPE_EXTERNAL:
                _refuse(label, where, "is an external link to another file")
            if link_type != h5py.h5l.TYPE_HARD:
                _refuse(label, where, f"is a user-defined link (type {link_type})")
            info = h5py.h5o.get_info(group.id, raw)
            key = (info.fileno, info.addr)
            if key in seen:
                _refuse(label, where, "links to an object reached before (hard-link alias "
                                      "or cycle)")
            seen.add(key)
            if info.type == h5py.h5o.TYPE_GROUP:
                visit(group[name], where)
            elif info.type == h5py.h5o.TYPE_DATASET:
                check_dataset(group[name], where, label, file_size, vlen_ok=version == 1)
            else:
                _refuse(label, where, "is a named datatype or another object that is neither "
                                      "a group nor a dataset")

    visit(f, "")


def check_dataset(ds: h5py.Dataset, where: str, label: str, file_size: int,
                  vlen_ok: bool = False) -> None:
    """Refuse a dataset stored outside the file, filtered, of an unsupported dtype, or
    declaring more bytes than the file holds for it."""
    dcpl = ds.id.get_create_plist()
    if dcpl.get_external_count() > 0:
        _refuse(label, where, "keeps its data in external raw files")
    layout = dcpl.get_layout()
    if layout == h5py.h5d.VIRTUAL or ds.is_virtual:
        _refuse(label, where, "is a virtual dataset (its data lives in other files)")
    if layout not in _OK_LAYOUTS:
        _refuse(label, where, "is chunked; checkpoint datasets are contiguous or compact")
    if dcpl.get_nfilters() > 0:
        _refuse(label, where, "is compressed or filtered; checkpoint datasets are not")
    if ds.shape is None:
        _refuse(label, where, "has no dataspace (an empty HDF5 dataset)")
    string = h5py.check_string_dtype(ds.dtype)
    if string is not None and ds.shape != ():  # strings: only the scalar JSON texts
        _refuse(label, where, f"is a string array of shape {ds.shape}")
    if string is not None and string.length is None:
        if not vlen_ok:  # its bytes live in the global heap (see _read_attr)
            _refuse(label, where, "is a variable-length string (format version 2 has only "
                                  "fixed-length ones)")
        return
    if string is None and ds.dtype.kind not in "biuf":
        _refuse(label, where, f"has unsupported dtype {ds.dtype}")
    declared = ds.dtype.itemsize * int(np.prod(ds.shape, dtype=object))
    if declared == 0:
        return
    stored = ds.id.get_storage_size()
    offset = ds.id.get_offset() if layout == h5py.h5d.CONTIGUOUS else 0
    if stored != declared or offset is None or offset + stored > file_size:
        _refuse(label, where, f"declares shape {ds.shape} of {ds.dtype} ({declared} bytes) "
                              f"but stores {stored} bytes in the file")


def _refuse(label: str, where: str, what: str) -> None:
    raise CheckpointError(f"{label}: {where} {what}, which checkpoints never contain: refusing "
                          "to load it (use a file written by save_checkpoint())")


#: deepest nesting of lists/objects a checkpoint's JSON texts may have
MAX_JSON_DEPTH = 64


def json_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (iterative: any depth is safe).

    Example:
        >>> json_depth({"a": [1, [2]]}), json_depth(3)
        (3, 0)
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_json(f: h5py.File, name: str, label: str,
              read: Callable[[h5py.Dataset, str], Any] | None = None) -> Any:
    """The JSON value stored as a scalar UTF-8 string dataset ``name`` (structure already
    checked), or a :class:`CheckpointError` when it is missing or malformed. ``read``
    (dataset, where) reads the raw value (e.g. verifying a checksum first)."""
    obj = f.get(name)
    if not isinstance(obj, h5py.Dataset):
        raise CheckpointError(f"{label}: /{name} is missing: the file is incomplete; "
                              f"{_WRITER}")
    if obj.shape != () or h5py.check_string_dtype(obj.dtype) is None:
        raise CheckpointError(f"{label}: /{name} must be a scalar string dataset, found shape "
                              f"{obj.shape} dtype {obj.dtype}")
    raw = read(obj, f"/{name}") if read is not None else obj[()]
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError) as err:
        raise CheckpointError(f"{label}: /{name} is not valid UTF-8 JSON "
                              f"({one_line(err)})") from None
    except RecursionError:
        value = None
        depth = MAX_JSON_DEPTH + 1
    else:
        depth = json_depth(value)
    if depth > MAX_JSON_DEPTH:
        raise CheckpointError(f"{label}: /{name} nests lists or objects more than "
                              f"{MAX_JSON_DEPTH} deep, which checkpoints never do: the file is "
                              "damaged or forged")
    return value
