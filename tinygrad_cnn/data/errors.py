"""The one exception every data problem raises.

A ``DataError`` carries one line that says what was wrong (path, what was found, what was
expected) and what to do, so the CLI can print it as is and exit without a traceback.

Example:
    >>> try:
    ...     raise DataError("x.npz: no array 'y'; save the labels under the key 'y'")
    ... except ValueError as e:
    ...     print(e)
    x.npz: no array 'y'; save the labels under the key 'y'
"""
from __future__ import annotations

from ..errors import TinygradCNNError, one_line


class DataError(TinygradCNNError, ValueError):
    """A user mistake in data: missing/unreadable files, bad formats, bad labels or options.

    The message is forced onto one line (newlines become ``"; "``) because the CLI prints it
    verbatim after ``error:``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(str(message).replace("\r", "").replace("\n", "; ")))
