"""safetensors files through the ``safetensors`` package (its numpy API): a JSON header of
names, dtypes, shapes and offsets, then raw little-endian data; no code, no pickle.

Example:
    >>> import tempfile; from pathlib import Path
    >>> import numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "w.safetensors"
    >>> save_safetensors({"w": np.ones(2, np.float32)}, path)
    PosixPath('.../w.safetensors')
    >>> load_safetensors(path)["w"]
    array([1., 1.], dtype=float32)
"""
from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import one_line
from .errors import InteropError, write_atomic


def _package() -> Any:
    try:
        import safetensors.numpy as st
    except ImportError:
        raise InteropError("safetensors files need the safetensors package: pip install "
                           "safetensors (or pip install tinygrad-cnn[interop])") from None
    return st


def load_safetensors(path: str | os.PathLike[str]) -> "OrderedDict[str, np.ndarray]":
    """The arrays of the safetensors file ``path`` under their names (sorted: the format
    keeps no order); a damaged or truncated file is a one-line :class:`InteropError`.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> import numpy as np
        >>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
        >>> _ = save_safetensors({"features.0.weight": np.ones((2, 1, 3, 3), np.float32),
        ...                       "classifier.bias": np.zeros(2, np.float32)}, path)
        >>> list(load_safetensors(path))
        ['classifier.bias', 'features.0.weight']
    """
    label = os.fspath(path)
    st = _package()
    try:
        arrays = st.load_file(label)
    except OSError as err:
        raise InteropError(f"{label}: cannot read it: {one_line(err.strerror or err)}") from None
    except Exception as err:  # safetensors raises its own SafetensorError and ValueErrors
        raise InteropError(f"{label}: not a readable safetensors file (damaged or truncated: "
                           f"{one_line(err)[:160]})") from None
    return OrderedDict(sorted(arrays.items()))


def safetensors_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file (empty when it has none)."""
    import json
    label = os.fspath(path)
    try:
        with open(label, "rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            meta = json.loads(fh.read(size)).get("__metadata__") or {}
    except (OSError, ValueError, AttributeError) as err:
        raise InteropError(f"{label}: cannot read its header: {one_line(err)}") from None
    return dict(meta)


def save_safetensors(state_dict: Mapping[str, np.ndarray], path: str | os.PathLike[str],
                     metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``state_dict`` (and string ``metadata``) to the safetensors file ``path``,
    atomically; the arrays keep their dtypes and bits.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn import nn
        >>> model = nn.Linear(3, 2)
        >>> save_safetensors(model.state_dict(), Path(tempfile.mkdtemp()) / "model.safetensors",
        ...                  metadata={"format": "pt"})
        PosixPath('.../model.safetensors')
    """
    st = _package()
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise InteropError(f"safetensors names are strings, got {name!r}")
        arrays[name] = np.asarray(value, order="C")  # keeps 0-d shapes
    meta = None if metadata is None else {str(k): str(v) for k, v in metadata.items()}

    def write(tmp: Path) -> None:
        try:
            st.save_file(arrays, str(tmp), metadata=meta)
        except OSError:
            raise
        except Exception as err:
            raise InteropError(f"cannot write {path} as safetensors: {one_line(err)}") from None

    return write_atomic(path, write)
