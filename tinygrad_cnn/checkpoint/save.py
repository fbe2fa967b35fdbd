"""Writing checkpoints: one HDF5 file per save, replaced atomically.

Everything that can fail on the caller's data (the model's configuration, state names and
dtypes, non-serialisable metadata) is checked in memory before any file is created. The
file is then written by :func:`tinygrad_cnn.atomic.write_atomic` (a temporary sibling
``.<name>.tmp-XXXXXXXX``, closed, fsync'ed and renamed over the target), so a crash or
Ctrl-C at any moment leaves either the previous checkpoint or the new one, never a mix. A
save holds the output's exclusive lock (:mod:`.lock`: a second writer is refused) and first
deletes temporary files of our naming that a killed writer left beside the target. Every
dataset gets a ``sha256`` attribute that loading verifies.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn import nn
    >>> from tinygrad_cnn.checkpoint import save_checkpoint
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2))
    >>> save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", model, metadata={"epoch": 3})
    PosixPath('.../model.h5')
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

from .errors import CheckpointError
from .layout import (ATTR_CLASS, ATTR_FORMAT, ATTR_FORMAT_VERSION, ATTR_FRAMEWORK_VERSION,
                     ATTR_SHA256, FORMAT_NAME, FORMAT_VERSION, MODEL_CONFIG, MODEL_PLUGINS,
                     PARAMETERS, TREE_ARRAYS, TREE_JSON, digest, encode_tree, fixed_text)
from .lock import output_lock, remove_stale_temps
from ..atomic import check_target, write_atomic
from ..errors import one_line


@dataclass
class _Tree:
    """One encoded state tree: its JSON text, its arrays and the class it came from."""

    text: str
    arrays: dict[str, np.ndarray]
    cls: str | None


@dataclass
class _Payload:
    config: dict[str, Any]
    plugins: dict[str, dict[str, str | None]]
    state: "dict[str, np.ndarray]"
    trees: dict[str, _Tree]


def save_checkpoint(path: str | os.PathLike[str], model: Any, *, optimizer: Any = None,
                    scheduler: Any = None, metadata: Mapping[str, Any] | None = None) -> Path:
    """Save ``model`` (configuration + parameters and buffers), optionally the optimizer and
    scheduler state and training ``metadata``, to the HDF5 file ``path`` atomically.

    ``optimizer`` and ``scheduler`` are objects with ``state_dict()`` or already their state
    dicts. ``metadata`` is any tree of dicts (str or int keys), lists, JSON scalars and numpy
    arrays: epoch, history, seed, random states, dataset name, class names, input shape,
    normalisation... Returns the path written. Raises a one-line :class:`CheckpointError`
    when something cannot be stored or the folder is not writable; the previous file at
    ``path``, if any, is then untouched.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn import nn, optim
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 2))
        >>> opt = optim.Adam(model.parameters(), lr=1e-3)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)
        >>> run = Path(tempfile.mkdtemp()) / "run"; run.mkdir()
        >>> save_checkpoint(run / "model.h5", model, optimizer=opt, scheduler=sched,
        ...                 metadata={"epoch": 5, "history": {"loss": [2.3, 1.1]},
        ...                           "input_shape": [3, 32, 32]})
        PosixPath('.../run/model.h5')
    """
    payload = _prepare(model, optimizer, scheduler, metadata)
    target = check_target(path, error=CheckpointError, verb="save", example="model.h5")
    with output_lock(target):
        remove_stale_temps(target)
        write_atomic(target, lambda tmp: _write_file(tmp, payload), error=CheckpointError,
                     verb="save", example="model.h5")
    return target


def _prepare(model: Any, optimizer: Any, scheduler: Any,
             metadata: Mapping[str, Any] | None) -> _Payload:
    """Everything to write, built and checked in memory."""
    from .. import layers

    try:
        config = layers.to_config(model)
    except (layers.PluginError, layers.ConfigError, TypeError) as err:
        raise CheckpointError(f"cannot save the model: {one_line(err)}") from None
    state = model.state_dict()
    for name, arr in state.items():
        _check_state_entry(name, arr)
    sources = {row.name: row for row in layers.available()}
    plugins = {}
    for kind in sorted(layer_types(config)):
        row = sources.get(kind)
        plugins[kind] = {"distribution": row.distribution if row else None,
                         "version": row.version if row else None}
    trees = {}
    for key, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is None:
            continue
        if isinstance(obj, Mapping):
            sd, cls = obj, None
        elif callable(getattr(obj, "state_dict", None)):
            sd, cls = obj.state_dict(), type(obj).__name__
        else:
            raise CheckpointError(f"cannot save {key}: expected an object with state_dict() or "
                                  f"its state dict, got {type(obj).__name__}")
        trees[key] = _encode(key, sd, cls)
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise CheckpointError(f"cannot save metadata: expected a dict, got "
                                  f"{type(metadata).__name__}")
        trees["metadata"] = _encode("metadata", metadata, None)
    return _Payload(config, plugins, state, trees)


def layer_types(config: Any) -> set[str]:
    """Every layer ``type`` in a configuration tree (containers' ``layers`` included).

    Example:
        >>> sorted(layer_types({"type": "Sequential", "layers": [{"type": "ReLU"}]}))
        ['ReLU', 'Sequential']
    """
    found: set[str] = set()
    if isinstance(config, Mapping):
        if isinstance(config.get("type"), str):
            found.add(config["type"])
        for child in config.get("layers") or []:
            found |= layer_types(child)
    return found


def _check_state_entry(name: str, arr: np.ndarray) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise CheckpointError(f"cannot save state entry {name!r}: HDF5 dataset names cannot "
                              "contain '/' or be '.'; rename that module or parameter")
    dt = np.asarray(arr).dtype
    if dt.kind not in "fiub" or (dt.kind == "f" and dt.itemsize not in (4, 8)):
        raise CheckpointError(f"cannot save state entry {name!r} of dtype {dt}: checkpoints "
                              "store float32/float64 parameters and integer counters")


def _encode(key: str, tree: Mapping[str, Any], cls: str | None) -> _Tree:
    arrays: dict[str, np.ndarray] = {}
    encoded = encode_tree(dict(tree), arrays, key)
    # json's default ASCII escapes keep any str (even a lone surrogate) encodable as UTF-8
    return _Tree(json.dumps(encoded), arrays, cls)


def write_text(group: h5py.Group, name: str, text: str) -> h5py.Dataset:
    """Store ``text`` as a scalar fixed-length UTF-8 string dataset (its size is checkable
    before reading, unlike a variable-length string)."""
    raw = text.encode("utf-8") or b" "  # HDF5 strings have at least one byte
    ds = group.create_dataset(name, data=np.bytes_(raw),
                              dtype=h5py.string_dtype("utf-8", len(raw)))
    ds.attrs[ATTR_SHA256] = fixed_text(digest(raw))
    return ds


def _write_array(group: h5py.Group, name: str, arr: np.ndarray) -> None:
    data = np.asarray(arr, order="C")
    group.create_dataset(name, data=data).attrs[ATTR_SHA256] = fixed_text(digest(data))


def _write_file(tmp: Path, payload: _Payload) -> None:
    with h5py.File(tmp, "w", locking=False) as f:
        _write(f, payload)


def _write(f: h5py.File, payload: _Payload) -> None:
    from .. import __version__

    f.attrs[ATTR_FORMAT] = fixed_text(FORMAT_NAME)
    f.attrs[ATTR_FORMAT_VERSION] = np.int64(FORMAT_VERSION)
    f.attrs[ATTR_FRAMEWORK_VERSION] = fixed_text(__version__)
    write_text(f, MODEL_CONFIG, json.dumps(payload.config))
    write_text(f, MODEL_PLUGINS, json.dumps(payload.plugins))
    params = f.create_group(PARAMETERS, track_order=True)
    for name, arr in payload.state.items():
        _write_array(params, name, arr)
    for key, tree in payload.trees.items():
        group = f.create_group(key)
        if tree.cls is not None:
            group.attrs[ATTR_CLASS] = fixed_text(tree.cls)
        write_text(group, TREE_JSON, tree.text)
        if tree.arrays:
            arrays = group.create_group(TREE_ARRAYS, track_order=True)
            for name, arr in tree.arrays.items():
                _write_array(arrays, name, arr)
