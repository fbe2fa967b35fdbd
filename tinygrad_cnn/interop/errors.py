"""The one error of weight import and export, and the atomic file write raising it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .. import atomic
from ..checkpoint.errors import CheckpointError


class InteropError(CheckpointError):
    """A weight or model file cannot be read or written (one line: what was found, what was
    expected). A :class:`CheckpointError`, so callers that handle checkpoint problems handle
    these too."""


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """:func:`tinygrad_cnn.atomic.write_atomic` with the operating system's refusals as
    :class:`InteropError`: ``write(tmp)`` fills a temporary sibling of ``path`` that then
    replaces it; a failure leaves the previous file and no temporary file.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "w.bin"
        >>> write_atomic(path, lambda tmp: tmp.write_bytes(b"x"))
        PosixPath('.../w.bin')
        >>> path.read_bytes(), sorted(p.name for p in path.parent.iterdir())
        (b'x', ['w.bin'])
    """
    return atomic.write_atomic(path, write, error=InteropError)
