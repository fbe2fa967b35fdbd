"""Writing a file whole or not at all: the one home of the library's atomic write.

Checkpoints, exported weights and models, and a run's text files, plots and copies all go
through :func:`write_atomic`. The new content is written to a temporary sibling
``.<name>.tmp-XXXXXXXX`` (created exclusively, so its mode is what the umask gives any new
file), fsync'ed, renamed over the target with :func:`os.replace` (same folder, hence same
filesystem: the rename is atomic) and the folder is fsync'ed so the rename survives a power
cut. A failure at any moment, Ctrl-C included, deletes the temporary file and leaves the
previous file, if any, byte for byte as it was.

Each caller chooses the error its users see: ``error=CheckpointError`` or ``InteropError``
turn the operating system's refusals into one line naming the target; without ``error`` the
:class:`OSError` itself propagates.

Example:
    >>> import tempfile; from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> write_atomic(path, lambda tmp: tmp.write_bytes(b"epoch 1\\n")).read_text()
    'epoch 1\\n'
    >>> sorted(p.name for p in path.parent.iterdir())
    ['notes.txt']
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable

from .errors import one_line

#: how many random names to try before giving up on creating a temporary file
_TRIES = 16


def temp_pattern(target: Path) -> "re.Pattern[str]":
    """Names of :func:`write_atomic`'s temporary files for ``target`` (``.<name>.tmp-`` and
    8 hex digits), and nothing else.

    Example:
        >>> bool(temp_pattern(Path("model.h5")).fullmatch(".model.h5.tmp-0a1b2c3d"))
        True
        >>> bool(temp_pattern(Path("model.h5")).fullmatch(".model.h5.tmp-notours"))
        False
    """
    return re.compile(re.escape(f".{target.name}.tmp-") + "[0-9a-f]{8}")


def check_target(path: str | os.PathLike[str], *, error: type[Exception] = OSError,
                 verb: str = "write", example: str | None = None) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it can be written: not a folder, in a folder
    that exists; otherwise an ``error`` of one line (``verb`` says what was attempted,
    ``example`` is a file name to suggest).

    Example:
        >>> check_target("/", error=ValueError, verb="save", example="model.h5")
        Traceback (most recent call last):
        ValueError: cannot save /: it is a folder; give a file name such as model.h5
    """
    target = Path(path)
    if target.is_dir():
        hint = f" such as {example}" if example else ""
        raise error(f"cannot {verb} {target}: it is a folder; give a file name{hint}")
    if not target.parent.is_dir():
        raise error(f"cannot {verb} {target}: the folder {target.parent} does not exist; "
                    "create it or choose another output path")
    return target


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], Any], *,
                 error: type[Exception] | None = None, verb: str = "write",
                 example: str | None = None) -> Path:
    """Call ``write(tmp)`` on a new temporary sibling of ``path`` (an empty file ``write`` may
    open, truncate or replace), then make it ``path`` atomically; returns ``path``.

    With ``error`` (an exception class), a missing folder, an unwritable folder or a failed
    write or rename raises ``error`` with one line naming ``path`` (:func:`check_target`'s
    ``verb`` and ``example``); without it the :class:`OSError` propagates (and a missing
    folder is an :class:`OSError` too). Other exceptions, Ctrl-C included, propagate as they
    are. In every case no temporary file remains and the previous file is unchanged.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "w.bin"
        >>> write_atomic(path, lambda tmp: tmp.write_bytes(b"x"))
        PosixPath('.../w.bin')
        >>> write_atomic(path.parent / "no" / "w.bin", print, error=ValueError)
        Traceback (most recent call last):
        ValueError: cannot write .../no/w.bin: the folder .../no does not exist; create it or choose another output path
    """
    target = check_target(path, error=error or OSError, verb=verb, example=example)
    tmp = _create_temp(target, error, verb)
    try:
        write(tmp)
        fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException as err:  # also Ctrl-C: never leave a temporary file behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if error is not None and isinstance(err, OSError):
            raise error(f"could not write {target}: {one_line(err.strerror or err)}; the "
                        "previous file, if any, is unchanged") from err
        raise
    fsync_folder(target.parent)
    return target


def _create_temp(target: Path, error: type[Exception] | None, verb: str) -> Path:
    """Create ``.<name>.tmp-XXXXXXXX`` beside ``target`` exclusively, with the mode any new
    file gets under the umask."""
    for _ in range(_TRIES):
        tmp = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except PermissionError:
            if error is None:
                raise
            raise error(f"cannot {verb} {target}: the folder {target.parent} is not writable; "
                        "choose another output path") from None
        except OSError as err:
            if error is None:
                raise
            raise error(f"cannot {verb} {target}: {one_line(err.strerror or err)}") from None
        os.close(fd)
        return tmp
    raise (error or OSError)(f"cannot {verb} {target}: could not create a temporary file "
                             "beside it")


def fsync_path(path: Path) -> None:
    """Flush ``path``'s content to the disk.

    Example:
        >>> import tempfile; fsync_path(Path(tempfile.mkstemp()[1]))
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; not possible on every platform, hence best effort.

    Example:
        >>> fsync_folder(Path("."))
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
