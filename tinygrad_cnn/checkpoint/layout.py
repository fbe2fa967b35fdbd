"""Names of the checkpoint layout (docs/FORMAT.md) and the JSON-with-arrays encoding of states.

Optimizer state, scheduler state and training metadata are trees of dicts, lists, JSON
scalars and numpy arrays. Each is stored as one JSON text in which every array is replaced
by a marker ``{"__ndarray__": "<dataset name>"}`` naming a dataset of the sibling ``arrays``
group: the JSON stays small and arrays keep their exact dtype and shape. The JSON lives in a
dataset, not an attribute, because attributes are limited to 64 KiB.

Example:
    >>> import numpy as np
    >>> arrays = {}
    >>> encode_tree({"step": 3, "m": np.zeros(2)}, arrays, "state")
    {'step': 3, 'm': {'__ndarray__': 'm'}}
    >>> list(arrays)
    ['m']
"""
from __future__ import annotations

import hashlib
import numbers
from typing import Any, Callable

import numpy as np

from .errors import CheckpointError

#: value of the root attribute ``format``
FORMAT_NAME = "tinygrad-cnn-checkpoint"
#: the newest layout this code reads and the one it writes (2: a SHA-256 per dataset)
FORMAT_VERSION = 2
#: the first version whose datasets carry the ``sha256`` attribute
CHECKSUM_VERSION = 2

# root attributes
ATTR_FORMAT = "format"
ATTR_FORMAT_VERSION = "format_version"
ATTR_FRAMEWORK_VERSION = "framework_version"

# datasets and groups
MODEL_CONFIG = "model/config"          # scalar UTF-8 string: JSON layer tree
MODEL_PLUGINS = "model/plugins"        # scalar UTF-8 string: JSON {type: {distribution, version}}
PARAMETERS = "parameters"              # flat group: one dataset per state_dict entry
TREE_GROUPS = ("optimizer", "scheduler", "metadata")
TREE_JSON = "json"                     # <tree group>/json: scalar UTF-8 string
TREE_ARRAYS = "arrays"                 # <tree group>/arrays: flat group of datasets
ATTR_CLASS = "class"                   # informational attribute of optimizer/scheduler groups
ATTR_SHA256 = "sha256"                 # every dataset (version >= 2): hex SHA-256 of its bytes

ARRAY_MARKER = "__ndarray__"
#: dtype kinds an array inside a tree may have (bool, signed, unsigned, float)
TREE_ARRAY_KINDS = "biuf"


def fixed_text(text: str) -> np.bytes_:
    """``text`` as a fixed-length string for an HDF5 attribute (h5py stores a ``str`` as a
    variable-length string in the global heap, which version 2 does not use).

    Example:
        >>> fixed_text("Adam")
        np.bytes_(b'Adam')
    """
    return np.bytes_(text.encode("utf-8"))


def digest(data: Any) -> str:
    """The hex SHA-256 a dataset's ``sha256`` attribute holds: of the UTF-8 bytes for a string
    dataset (``bytes``/``str``), of the C-order bytes as stored for a numeric array.

    Example:
        >>> digest(b"{}")[:12], digest(np.zeros(2, np.float32))[:12]
        ('44136fa355b3', 'af5570f5a181')
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes):
        data = np.ascontiguousarray(data).tobytes()
    return hashlib.sha256(data).hexdigest()


def encode_tree(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """``value`` as JSON-ready Python values, moving every numpy array into ``arrays``.

    Tuples become lists, numpy scalars Python scalars and integer dict keys strings.
    Anything else (objects, bytes, sets) raises a one-line :class:`CheckpointError` naming
    where it is, so that a save fails before any file is touched.

    Example:
        >>> encode_tree({"a": (1, np.float32(2.5)), 3: None}, {}, "metadata")
        {'a': [1, 2.5], '3': None}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.void):
        return encode_tree(value.item(), arrays, path)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in TREE_ARRAY_KINDS:
            raise CheckpointError(f"{path}: cannot store an array of dtype {value.dtype} "
                                  "(only bool, integer and float arrays): convert it first")
        name = _array_name(path, arrays)
        arrays[name] = np.asarray(value, order="C")  # (ascontiguousarray makes 0-d 1-d)
        return {ARRAY_MARKER: name}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, (bool, np.bool_)) or not isinstance(key, (str, numbers.Integral)):
                raise CheckpointError(f"{path}: dict key {key!r} is a {type(key).__name__}; "
                                      "checkpoint dicts take str or int keys only")
            text = str(int(key)) if isinstance(key, numbers.Integral) else key
            if text == ARRAY_MARKER:
                raise CheckpointError(f"{path}: the key {ARRAY_MARKER!r} is reserved for arrays")
            if text in out:
                raise CheckpointError(f"{path}: keys {text!r} collide once written as JSON")
            out[text] = encode_tree(item, arrays, f"{path}.{text}")
        return out
    if isinstance(value, (list, tuple)):
        return [encode_tree(item, arrays, f"{path}.{i}") for i, item in enumerate(value)]
    raise CheckpointError(f"{path}: cannot store a {type(value).__name__} in a checkpoint "
                          "(use JSON values and numpy arrays)")


def _array_name(path: str, taken: dict[str, np.ndarray]) -> str:
    """A readable dataset name for the array at ``path`` (without the tree's own name:
    ``optimizer.state.0.exp_avg`` -> ``state.0.exp_avg``), unique within ``taken``."""
    name = path.split(".", 1)[-1]
    # printable ASCII only: HDF5 names are NUL-terminated UTF-8, '/' separates groups
    plain = name.isascii() and name.isprintable() and "/" not in name
    if plain and name not in ("", ".", "..") and name not in taken:
        return name
    i = len(taken)
    while f"array{i}" in taken:
        i += 1
    return f"array{i}"


def decode_tree(value: Any, read_array: Callable[[str, str], np.ndarray], path: str) -> Any:
    """Invert :func:`encode_tree`: replace every array marker by ``read_array(name, path)``.

    Example:
        >>> decode_tree({"m": {"__ndarray__": "x"}}, lambda name, where: np.ones(1), "t")
        {'m': array([1.])}
    """
    if isinstance(value, dict):
        if ARRAY_MARKER in value:
            name = value[ARRAY_MARKER]
            if len(value) != 1 or not isinstance(name, str):
                raise CheckpointError(f"{path}: malformed array reference {value!r}")
            return read_array(name, path)
        return {k: decode_tree(v, read_array, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [decode_tree(v, read_array, f"{path}.{i}") for i, v in enumerate(value)]
    return value


def array_refs(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every ``(dataset name, path)`` an encoded tree refers to, in order.

    Example:
        >>> array_refs({"s": [{"__ndarray__": "a"}]}, "opt")
        [('a', 'opt.s.0')]
    """
    refs: list[tuple[str, str]] = []

    def walk(v: Any, where: str) -> None:
        if isinstance(v, dict):
            if ARRAY_MARKER in v:
                refs.append((v[ARRAY_MARKER], where))
                return
            for k, item in v.items():
                walk(item, f"{where}.{k}")
        elif isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, f"{where}.{i}")

    walk(value, path)
    return refs

