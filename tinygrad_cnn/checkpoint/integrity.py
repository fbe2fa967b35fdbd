"""What a checkpoint's bytes must satisfy once read: each dataset's SHA-256 (format version 2
and later) and finite weights.

Version-1 files have no checksums: they still load, with a :class:`CheckpointNote` warning
saying that their data could not be verified (save them again to add checksums).

Example:
    >>> import numpy as np
    >>> check = Integrity("model.h5", version=2)
    >>> check.expected_missing("/parameters/0.weight")
    Traceback (most recent call last):
    tinygrad_cnn.checkpoint.errors.CheckpointError: model.h5: /parameters/0.weight has no sha256 attribute, which format version 2 requires: the file is damaged or was not written by save_checkpoint()
"""
from __future__ import annotations

import hmac
import warnings
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from .errors import CheckpointError
from .layout import ATTR_SHA256, CHECKSUM_VERSION, digest, fixed_text


class CheckpointNote(UserWarning):
    """Something the user should know about a checkpoint that still loaded."""


class Integrity:
    """Verifies every dataset read from one file against its ``sha256`` attribute."""

    def __init__(self, label: str, version: int) -> None:
        self.label, self.version = label, version
        self.required = version >= CHECKSUM_VERSION
        if not self.required:
            warnings.warn(f"{label} uses checkpoint format version {version}, which has no "
                          "checksums: its weights cannot be verified; save it again to add "
                          "them", CheckpointNote, stacklevel=3)

    def expected_missing(self, where: str) -> None:
        raise CheckpointError(f"{self.label}: {where} has no sha256 attribute, which format "
                              f"version {self.version} requires: the file is damaged or was "
                              "not written by save_checkpoint()")

    def read(self, ds: h5py.Dataset, where: str) -> Any:
        """``ds``'s value (``bytes`` for a scalar string), after checking its checksum."""
        value = ds[()] if ds.shape == () and h5py.check_string_dtype(ds.dtype) else ds[...]
        if not self.required:
            return value
        if ATTR_SHA256 not in ds.attrs:
            self.expected_missing(where)
        aid = ds.attrs.get_id(ATTR_SHA256)
        string = h5py.check_string_dtype(aid.dtype)
        if aid.shape != () or string is None or string.length is None:
            raise CheckpointError(f"{self.label}: {where} has a malformed sha256 attribute: "
                                  "the file is damaged")
        stored = ds.attrs[ATTR_SHA256]
        if isinstance(stored, bytes):
            stored = stored.decode("ascii", "replace")
        raw = value.encode("utf-8") if isinstance(value, str) else value
        if not isinstance(stored, str) or not hmac.compare_digest(stored, digest(raw)):
            raise CheckpointError(f"{self.label}: {where} does not match its SHA-256 checksum: "
                                  "the file is corrupt; use an intact copy or save it again")
        return value


def check_finite(state: Mapping[str, np.ndarray], label: str) -> None:
    """Refuse NaN/Inf in float parameters and buffers, naming the first one.

    Example:
        >>> check_finite({"w": np.array([1.0, np.nan])}, "m.h5")
        Traceback (most recent call last):
        tinygrad_cnn.checkpoint.errors.CheckpointError: m.h5: parameter 'w' holds NaN or Inf values (1 of 2): the weights are broken; load it with `allow_nonfinite=True` to inspect them anyway
    """
    for name, arr in state.items():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
            raise CheckpointError(f"{label}: parameter {name!r} holds NaN or Inf values ({bad} "
                                  f"of {arr.size}): the weights are broken; load it with "
                                  "`allow_nonfinite=True` to inspect them "
                                  "anyway")


def reseal(f: h5py.File) -> None:
    """Make the open, writable file ``f`` follow version 2's storage rules again after an
    edit with h5py: variable-length strings (what h5py writes for a ``str``) become
    fixed-length, and every dataset's ``sha256`` is recomputed. The edit is then accepted if
    it follows every other rule of docs/FORMAT.md. Datasets that declare more bytes than they
    store are skipped (loading refuses them anyway).

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn import nn
        >>> from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
        >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", nn.Linear(2, 1),
        ...                        metadata={"epoch": 1})
        >>> with h5py.File(path, "r+") as f:
        ...     del f["metadata/json"]
        ...     f["metadata/json"] = '{"epoch": 2}'      # a str: h5py writes variable-length
        ...     reseal(f)
        >>> load_checkpoint(path).metadata
        {'epoch': 2}
    """
    objects: list[Any] = [f]
    f.visititems(lambda name, obj: objects.append(obj))
    for obj in objects:
        if isinstance(obj, h5py.Dataset) and obj.shape == () and \
                _is_vlen(h5py.check_string_dtype(obj.dtype)):
            parent, name, value = obj.parent, obj.name.rsplit("/", 1)[1], obj[()]
            del parent[name]
            raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
            parent[name] = np.bytes_(raw or b" ")
        for key in list(obj.attrs):
            if _is_vlen(h5py.check_string_dtype(obj.attrs.get_id(key).dtype)):
                value = obj.attrs[key]
                obj.attrs[key] = fixed_text(value.decode("utf-8", "replace")
                                            if isinstance(value, bytes) else str(value))

    def visit(name: str, obj: Any) -> None:
        if not isinstance(obj, h5py.Dataset) or obj.shape is None:
            return
        if h5py.check_string_dtype(obj.dtype) is not None:
            if obj.shape == ():
                obj.attrs[ATTR_SHA256] = fixed_text(digest(obj[()]))
            return
        if obj.dtype.kind not in "biuf" or \
                obj.id.get_storage_size() != obj.dtype.itemsize * int(np.prod(obj.shape)):
            return
        value = np.empty(obj.shape, obj.dtype)  # a low-level read of exactly what is stored
        if value.size:
            obj.id.read(h5py.h5s.ALL, h5py.h5s.ALL, value)
        obj.attrs[ATTR_SHA256] = fixed_text(digest(value))

    f.visititems(visit)


def _is_vlen(string: Any) -> bool:
    return string is not None and string.length is None
