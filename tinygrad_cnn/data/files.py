"""File-system helpers shared by the readers: existence checks and safe reads with one-line errors.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.gz").write_bytes(__import__("gzip").compress(b"hi"))
    >>> read_bytes(d / "a.gz")
    b'hi'
"""
from __future__ import annotations

import gzip  # noqa: F401 - the doctest above
import os
import zlib
from pathlib import Path

from .errors import DataError
from .limits import check_data_bytes, max_data_bytes


def require_dir(path: str | os.PathLike, kind: str) -> Path:
    """Return ``path`` as a Path if it is a readable directory, else raise ``DataError``.

    Example:
        >>> require_dir(".", "folder").is_dir()
        True
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{kind}: {p} does not exist; check the path after '{kind}:'")
    if not p.is_dir():
        raise DataError(f"{kind}: {p} is a file, expected a directory; pass the folder that holds the files")
    if not os.access(p, os.R_OK | os.X_OK):
        raise DataError(f"{kind}: cannot read directory {p} (permission denied); fix its permissions")
    return p


def require_file(path: str | os.PathLike, kind: str) -> Path:
    """Return ``path`` as a Path if it is a readable file, else raise ``DataError``.

    Example:
        >>> require_file("/nonexistent.npz", "npz")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.data.errors.DataError: npz: /nonexistent.npz does not exist; check the path after 'npz:'
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{kind}: {p} does not exist; check the path after '{kind}:'")
    if p.is_dir():
        raise DataError(f"{kind}: {p} is a directory, expected a file; pass the path of the file")
    if not os.access(p, os.R_OK):
        raise DataError(f"{kind}: cannot read {p} (permission denied); fix its permissions")
    return p


def read_bytes(path: Path) -> bytes:
    """Read a whole file, transparently gunzipping ``.gz`` or gzip-magic files.

    The file and its decompressed contents may not exceed the data size limit
    (:mod:`.limits`: a gzip bomb stops at the limit). Corrupt or truncated gzip streams raise
    ``DataError``.
    """
    try:
        check_data_bytes(path.stat().st_size, str(path))
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}; check the file") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return _gunzip(raw, str(path))
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt or truncated gzip data ({e}); download the file again") from None
    return raw


def _gunzip(raw: bytes, where: str) -> bytes:
    """Decompress every gzip member of ``raw``, never producing more than the size limit."""
    limit = max_data_bytes()
    out = bytearray()
    data = raw
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += d.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            check_data_bytes(len(out), f"{where} (decompressed)")
        if not d.eof:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        data = d.unused_data.lstrip(b"\x00")  # members may be padded with zeros
    return bytes(out)


def listing(directory: Path, limit: int = 5) -> str:
    """A short, sorted list of the entries of ``directory`` for error messages."""
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in directory.iterdir())
    except OSError:
        return "unreadable"
    if not names:
        return "nothing"
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
