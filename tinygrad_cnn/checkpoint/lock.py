"""One writer per checkpoint: an exclusive lock beside the output, and the clean-up of
temporary files that a killed writer left behind.

The lock is ``fcntl.flock`` on ``.<name>.lock`` in the output's folder, taken without
waiting: a second process writing the same output gets a one-line :class:`CheckpointError`
at once instead of overwriting the other's checkpoints in turn. The operating system drops
the lock when its holder dies (even on SIGKILL), so a stale lock never blocks anyone. Within
one process the lock is re-entrant (a training run holds it, each save takes it again).
Readers never take it: a save replaces the file atomically, so reading during a save reads
the previous complete file.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn import nn
    >>> from tinygrad_cnn.checkpoint import save_checkpoint
    >>> path = Path(tempfile.mkdtemp()) / "model.h5"
    >>> with output_lock(path):
    ...     save_checkpoint(path, nn.Linear(2, 1)).name
    'model.h5'
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from .errors import CheckpointError
from ..atomic import temp_pattern

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no locking
    fcntl = None  # type: ignore[assignment]

#: this process's held locks: resolved output path -> [lock file descriptor, depth]
_HELD: dict[str, list[int]] = {}


def lock_path(target: Path) -> Path:
    """``.<name>.lock`` beside ``target``.

    Example:
        >>> lock_path(Path("runs/model.h5")).name
        '.model.h5.lock'
    """
    return target.parent / f".{target.name}.lock"


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files of our naming beside ``target`` (left by a writer that was
    killed mid-save); call with the lock held, so none of them is still being written.
    Returns what was removed."""
    pattern = temp_pattern(target)
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        if pattern.fullmatch(name):
            stale = target.parent / name
            try:
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()
                    removed.append(stale)
            except OSError:
                pass
    return removed


def _key(target: Path) -> str:
    return str(target.parent.resolve() / target.name)


def _acquire(target: Path) -> int:
    path = lock_path(target)
    for _ in range(8):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise CheckpointError(f"cannot lock {target} for writing ({err.strerror or err}); "
                                  "choose another output path") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise CheckpointError(f"{target} is being written by another process{holder}; "
                                  "wait for it to finish or choose another output path") from None
        try:  # the file we locked must still be the one at ``path`` (see release)
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise CheckpointError(f"cannot lock {target} for writing: its lock file keeps changing")


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


@contextlib.contextmanager
def output_lock(target: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the exclusive write lock of ``target`` for the ``with`` block (re-entrant within
    a process); a :class:`CheckpointError` at once when another process holds it."""
    target = Path(target)
    if fcntl is None:
        yield
        return
    key = _key(target)
    held = _HELD.get(key)
    if held is not None:
        held[1] += 1
    else:
        _HELD[key] = [_acquire(target), 1]
    try:
        yield
    finally:
        entry = _HELD[key]
        entry[1] -= 1
        if entry[1] == 0:
            del _HELD[key]
            try:  # unlink first, then unlock: a waiter then retries on a fresh file
                os.unlink(lock_path(target))
            except OSError:
                pass
            os.close(entry[0])
