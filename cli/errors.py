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

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def one_line(text: object) -> str:
    """Collapse whitespace and newlines so a message is exactly one line.

    Example:
        >>> one_line("a\\n  b")
        'a b'
    """
    return " ".join(str(text).split())


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


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
    from tinygrad_cnn.checkpoint import CheckpointError
    from tinygrad_cnn.data import DataError
    from tinygrad_cnn.layers import (ConfigError, LayerNotFoundError, ModelNotFoundError,
                                     PluginError)
    from tinygrad_cnn.nn.module import StateDictError
    from tinygrad_cnn.training import (LayerNotFound, OptionError, TrainingError,
                                       TrainingInterrupted)

    hint = f"; see '{command} --help'"
    if isinstance(exc, TrainingInterrupted):
        if exc.path:
            return EXIT_INTERRUPTED, (f"{exc}; resume with: tgcnn train --resume "
                                      f"{_quote(exc.path)}")
        return EXIT_INTERRUPTED, f"{exc}; start the run again"
    if isinstance(exc, click.exceptions.UsageError):
        return EXIT_USAGE, one_line(exc.format_message()).rstrip(".") + hint
    if isinstance(exc, click.ClickException):
        return exc.exit_code, one_line(exc.format_message())
    if isinstance(exc, OptionError):
        return EXIT_USAGE, one_line(f"{_option(exc.option)}: {exc.detail}") + hint
    if isinstance(exc, (ModelNotFoundError, LayerNotFound)):
        return EXIT_USAGE, one_line(exc.args[0] if exc.args else exc)
    if isinstance(exc, LayerNotFoundError):
        return EXIT_FAILURE, one_line(exc.args[0] if exc.args else exc)
    if isinstance(exc, (DataError, CheckpointError, ConfigError, PluginError, TrainingError,
                        StateDictError)):
        return EXIT_FAILURE, one_line(exc)
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


def _quote(path: str) -> str:
    """A path as it would be typed in a shell (quoted when it has spaces)."""
    text = os.fspath(path)
    return f"'{text}'" if any(c.isspace() for c in text) else text
