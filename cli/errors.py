"""Turn every user mistake into one line and an exit code: 2 for bad usage, 1 for failures,
130 for Ctrl-C. Anything not listed here is a bug and keeps its traceback.

Example:
    >>> from tinygrad_cnn.training import OptionError
    >>> describe(OptionError("lr", "must be a positive number, got -1"), "tgcnn train")
    (2, "--lr: must be a positive number, got -1; see 'tgcnn train --help'")
"""
from __future__ import annotations

import errno
import os

import click

from tinygrad_cnn.errors import FAILURE, INTERRUPTED, USAGE, TinygradCNNError, one_line

from .flags import command_flags, flag, to_flags

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: the exit code of each kind of library error (:mod:`tinygrad_cnn.errors`)
EXIT_CODES = {USAGE: EXIT_USAGE, FAILURE: EXIT_FAILURE, INTERRUPTED: EXIT_INTERRUPTED}


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{where}: permission denied; check the file's permissions or choose another path"
    if exc.errno == errno.ENOSPC:
        return f"{where}: no space left on the device; free some space or choose another --out"
    if exc.errno == errno.ENOENT:
        return f"{where}: no such file or folder; check the path"
    return f"{where}: {reason}" if where else reason


def describe(exc: BaseException, command: str = "tgcnn") -> tuple[int, str] | None:
    """(exit code, one-line message) for a known user-facing error, or None for a bug.

    Example:
        >>> describe(ValueError("x"), "tgcnn") is None
        True
    """
    if isinstance(exc, TinygradCNNError):
        return _library_error(exc, command)
    if isinstance(exc, click.exceptions.UsageError):
        return EXIT_USAGE, one_line(exc.format_message()).rstrip(".") + _help_hint(command)
    if isinstance(exc, click.ClickException):
        return exc.exit_code, one_line(exc.format_message())
    if isinstance(exc, (KeyboardInterrupt, click.Abort)):
        from .entry import current

        interrupts = current()
        kept = interrupts.checkpoint if interrupts is not None else None
        if kept:
            return EXIT_INTERRUPTED, (f"interrupted; nothing new was saved; the last complete "
                                      f"checkpoint is {kept}")
        return EXIT_INTERRUPTED, "interrupted; nothing was saved"
    if isinstance(exc, MemoryError):
        return EXIT_FAILURE, "out of memory; lower --batch-size or use a smaller model (--width)"
    if isinstance(exc, OSError):
        return EXIT_FAILURE, one_line(_os_error(exc))
    return None


def _library_error(exc: TinygradCNNError, command: str) -> tuple[int, str]:
    """A library error in the CLI's words: its arguments as flags, its kind as the exit code;
    an error about one argument starts with its flag and points at the command's help."""
    flags = command_flags(command)
    text = one_line(to_flags(exc.detail, flags))
    if exc.kind == INTERRUPTED:
        path = getattr(exc, "path", None)
        resume = f"resume with: tgcnn train --resume {_quote(path)}" if path else \
            "start the run again"
        return EXIT_INTERRUPTED, f"{text}; {resume}"
    if exc.argument is not None:
        return EXIT_CODES[exc.kind], f"{flag(exc.argument, flags)}: {text}" + _help_hint(command)
    return EXIT_CODES[exc.kind], text


def _help_hint(command: str) -> str:
    return f"; see '{command} --help'"


def _quote(path: str) -> str:
    """A path as it would be typed in a shell (quoted when it has spaces)."""
    text = os.fspath(path)
    return f"'{text}'" if any(c.isspace() for c in text) else text
