"""The one error of weight import and export, and the atomic file write they share."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable

from ..checkpoint.errors import CheckpointError
from ..errors import one_line


class InteropError(CheckpointError):
    """A weight or model file cannot be read or written (one line: what was found, what was
    expected). A :class:`CheckpointError`, so callers that handle checkpoint problems handle
    these too."""


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it over ``path``.

    A failure (or Ctrl-C) leaves the previous file untouched and no temporary file behind;
    an unwritable or missing folder is an :class:`InteropError`.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "w.bin"
        >>> write_atomic(path, lambda tmp: tmp.write_bytes(b"x"))
        PosixPath('.../w.bin')
        >>> path.read_bytes(), sorted(p.name for p in path.parent.iterdir())
        (b'x', ['w.bin'])
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise InteropError(f"cannot write {target}: it is a folder; give a file name")
    if not folder.is_dir():
        raise InteropError(f"cannot write {target}: the folder {folder} does not exist; create "
                           "it or choose another path")
    tmp = folder / f".{target.name}.tmp-{secrets.token_hex(4)}"
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise InteropError(f"could not write {target}: {one_line(err.strerror or err)}; "
                               "the previous file, if any, is unchanged") from None
        raise
    return target
