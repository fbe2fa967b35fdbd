"""The schema of the metadata ``tgcnn train`` stores in a checkpoint, checked on load.

Metadata is input like the rest of the file: a wrong type, length or range must end in one
clear :class:`~tinygrad_cnn.checkpoint.CheckpointError`, not a traceback, a silently wrong
result, or a huge allocation (``limit = 10**9`` generating a billion images, an
``input_shape`` of 40000x40000). :func:`check_metadata` checks every key that the training,
evaluation and prediction code reads (types, ranges, lengths, consistency) before any of it
is used.

Example:
    >>> check_metadata({"classes": ["a", "b"], "input_shape": [1, 8, 8], "mean": [0.0],
    ...                 "std": [0.0]}, "m.h5")
    Traceback (most recent call last):
    tinygrad_cnn.checkpoint.errors.CheckpointError: m.h5: metadata std[0] must be a finite number > 0, got 0.0: the file is damaged or was not written by tgcnn train
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

from ..checkpoint.errors import CheckpointError

#: bounds of what a checkpoint may ask for
MAX_CLASSES = 100_000
MAX_SIDE = 16_384                 # image height/width
MAX_CHANNELS = 4_096
MAX_INPUT_ELEMENTS = 1 << 26      # C*H*W of one image (256 MiB as float32)
MAX_LIMIT = 1_000_000             # train_config.limit: images generated or kept per split
MAX_EPOCHS = 1_000_000
MAX_TEXT = 4_096                  # a class name, a note, a dataset spec

_SUFFIX = "the file is damaged or was not written by tgcnn train"


class _Bad(Exception):
    pass


def _fail(what: str) -> None:
    raise _Bad(what)


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(f"{where} must be an integer in [{low}, {high}], got {_short(value)}")
    return value


def _number(value: Any, where: str, positive: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and \
        math.isfinite(value) and (value > 0 or not positive)
    if not ok:
        _fail(f"{where} must be a finite number{' > 0' if positive else ''}, got {_short(value)}")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        _fail(f"{where} must be a string of at most {MAX_TEXT} characters, got {_short(value)}")
    return value


def _list(value: Any, where: str, low: int, high: int) -> list[Any]:
    if not isinstance(value, list) or not low <= len(value) <= high:
        _fail(f"{where} must be a list of {low} to {high} items, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _data_info(meta: Mapping[str, Any]) -> None:
    for i, name in enumerate(_list(meta["classes"], "classes", 1, MAX_CLASSES)):
        _text(name, f"classes[{i}]")
    shape = _list(meta["input_shape"], "input_shape", 3, 3)
    c = _int(shape[0], "input_shape[0] (channels)", 1, MAX_CHANNELS)
    h = _int(shape[1], "input_shape[1] (height)", 1, MAX_SIDE)
    w = _int(shape[2], "input_shape[2] (width)", 1, MAX_SIDE)
    if c * h * w > MAX_INPUT_ELEMENTS:
        _fail(f"input_shape {shape} has more than {MAX_INPUT_ELEMENTS} values per image")
    for key in ("mean", "std"):
        for i, v in enumerate(_list(meta[key], key, c, c)):
            _number(v, f"{key}[{i}]", positive=key == "std")
    if "pixel_max" in meta:
        _number(meta["pixel_max"], "pixel_max", positive=True)
    if "hflip_ok" in meta and not isinstance(meta["hflip_ok"], bool):
        _fail(f"hflip_ok must be true or false, got {_short(meta['hflip_ok'])}")
    if "dataset" in meta:
        _text(meta["dataset"], "dataset")
    for i, note in enumerate(_list(meta.get("notes", []), "notes", 0, 1000)):
        _text(note, f"notes[{i}]")


def _train_config(raw: Any) -> None:
    from .config import OptionError, TrainConfig

    if not isinstance(raw, dict):
        _fail(f"train_config must be an object, got {_short(raw)}")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    for key, value in raw.items():
        default = getattr(TrainConfig, key, None) if key in fields else None
        if key not in fields:
            continue
        if key == "limit":
            if value is not None:
                _int(value, "train_config.limit", 1, MAX_LIMIT)
        elif key in ("epochs", "batch_size"):
            _int(value, f"train_config.{key}", 1, MAX_EPOCHS)
        elif key == "seed":
            _int(value, "train_config.seed", 0, 2**63 - 1)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                _fail(f"train_config.{key} must be true or false, got {_short(value)}")
        elif isinstance(default, str):
            _text(value, f"train_config.{key}")
        elif isinstance(default, float):
            _number(value, f"train_config.{key}")
    try:
        TrainConfig.from_dict(raw).validate()
    except OptionError as err:
        _fail(f"train_config.{err}")


def _training_state(meta: Mapping[str, Any]) -> None:
    epochs = _int(meta["epochs"], "epochs", 1, MAX_EPOCHS) if "epochs" in meta else MAX_EPOCHS
    epoch = _int(meta["epoch"], "epoch", 0, MAX_EPOCHS)
    if epoch > epochs and "epochs" in meta:
        _fail(f"epoch {epoch} is beyond epochs {epochs}")
    if "history" in meta:
        history = _list(meta["history"], "history", epoch, epoch)
        for i, record in enumerate(history):
            if not isinstance(record, dict):
                _fail(f"history[{i}] must be an object, got {_short(record)}")
    if meta.get("seed") is not None:
        _int(meta["seed"], "seed", 0, 2**63 - 1)
    partial = meta.get("partial_epoch")
    if partial is not None:
        if not isinstance(partial, dict):
            _fail(f"partial_epoch must be an object, got {_short(partial)}")
        for key in ("batches", "correct", "seen"):
            if key in partial:
                _int(partial[key], f"partial_epoch.{key}", 0, 2**53)
        for key in ("loss_sum", "time"):
            if key in partial:
                _number(partial[key], f"partial_epoch.{key}")
    for key in ("rng_state", "loader_state"):
        if key in meta and not isinstance(meta[key], dict):
            _fail(f"{key} must be an object, got {_short(meta[key])}")


def check_metadata(meta: Any, label: str, *, need_data: bool = True) -> None:
    """Check the metadata of checkpoint ``label``: the data description (classes, input
    shape, normalisation) when present or when ``need_data``, the ``train_config`` and the
    trainer's state when present. Raises a one-line ``CheckpointError``.

    Example:
        >>> check_metadata({"epoch": "x"}, "m.h5", need_data=False)
        Traceback (most recent call last):
        tinygrad_cnn.checkpoint.errors.CheckpointError: m.h5: metadata epoch must be an integer in [0, 1000000], got 'x': the file is damaged or was not written by tgcnn train
    """
    try:
        if not isinstance(meta, Mapping):
            _fail(f"must be an object, got {_short(meta)}")
        data_keys = ("classes", "input_shape", "mean", "std")
        if need_data or any(k in meta for k in data_keys):
            missing = [k for k in data_keys if k not in meta]
            if missing:
                raise CheckpointError(f"{label} does not record the data it was trained on "
                                      f"(missing {', '.join(missing)}): it was not written by "
                                      "tgcnn train; train it with tgcnn train or save it with "
                                      "that metadata")
            _data_info(meta)
        if "train_config" in meta:
            _train_config(meta["train_config"])
        if "epoch" in meta:
            _training_state(meta)
    except _Bad as err:
        raise CheckpointError(f"{label}: metadata {err}: {_SUFFIX}") from None
