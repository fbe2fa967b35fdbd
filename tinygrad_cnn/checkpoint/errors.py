"""The one exception every checkpoint problem ends in.

Example:
    >>> from tinygrad_cnn.checkpoint import CheckpointError, load_checkpoint
    >>> try:
    ...     load_checkpoint("README.md")
    ... except CheckpointError as err:
    ...     print(err)                                  # doctest: +ELLIPSIS
    README.md is not an HDF5 file: ...
"""
from __future__ import annotations

from ..errors import TinygradCNNError


class CheckpointError(TinygradCNNError, ValueError):
    """A checkpoint cannot be written or read; the message is one line saying what was wrong
    and what to do (the CLI prints it as is and exits 1)."""
