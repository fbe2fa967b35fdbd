"""The most bytes one array (or one decompressed file) of a dataset may declare before it is
read: a 30 MB npz or a 2 KB gzip HDF5 dataset can declare tens of GiB, so sizes are checked
from headers first. The limit is raised by the user: ``set_max_data_bytes``, the environment
variable ``TGCNN_MAX_DATA_BYTES`` or the CLI's ``--max-data-bytes``.

Example:
    >>> check_data_bytes(10, "x.npz['x']")
    >>> with max_data_bytes_set(8):
    ...     check_data_bytes(10, "x.npz['x']")
    Traceback (most recent call last):
    tinygrad_cnn.data.errors.DataError: x.npz['x'] declares 10 bytes, more than the limit of 8 bytes; if the file is genuine raise the limit (`set_max_data_bytes()` or TGCNN_MAX_DATA_BYTES)
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

from .errors import DataError

#: the default limit: 4 GiB per array (full CIFAR-10 is 184 MB, ImageNet-size arrays need more)
DEFAULT_MAX_DATA_BYTES = 4 << 30
ENV = "TGCNN_MAX_DATA_BYTES"
_override: int | None = None


def max_data_bytes() -> int:
    """The limit in force: :func:`set_max_data_bytes`, else ``TGCNN_MAX_DATA_BYTES``, else
    :data:`DEFAULT_MAX_DATA_BYTES`.

    Example:
        >>> max_data_bytes() > 0
        True
    """
    if _override is not None:
        return _override
    text = os.environ.get(ENV, "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            raise DataError(f"{ENV}={text!r} is not a whole number of bytes") from None
        if value > 0:
            return value
        raise DataError(f"{ENV} must be a positive number of bytes, got {value}")
    return DEFAULT_MAX_DATA_BYTES


def set_max_data_bytes(limit: int | None) -> None:
    """Set the limit for this process (``None``: back to the environment or default)."""
    global _override
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise DataError(f"the data size limit must be a positive number of bytes, got {limit!r}")
    _override = limit


@contextlib.contextmanager
def max_data_bytes_set(limit: int | None) -> Iterator[None]:
    """:func:`set_max_data_bytes` for a ``with`` block."""
    global _override
    saved = _override
    set_max_data_bytes(limit)
    try:
        yield
    finally:
        _override = saved


def check_data_bytes(declared: int, where: str) -> None:
    """Refuse ``declared`` bytes above the limit, before anything is allocated or read."""
    limit = max_data_bytes()
    if declared > limit:
        raise DataError(f"{where} declares {declared} bytes, more than the limit of {limit} bytes;"
                        " if the file is genuine raise the limit (`set_max_data_bytes()` or "
                        f"{ENV})")
