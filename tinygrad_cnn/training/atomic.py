"""One way to write a run's files: whole or not at all.

Example:
    >>> import tempfile; from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> atomic_write(path, lambda fh: fh.write(b"epoch 1\\n")).read_text()
    'epoch 1\\n'
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> Path:
    """Write ``path`` atomically and return it: ``write(fh)`` fills a temporary file in the
    same folder (so the rename stays on one filesystem), which is synced and renamed over
    ``path``. An interrupted write leaves the previous file as it was; the new file gets the
    mode any new file gets under the umask (``mkstemp`` alone would make it 0600)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
