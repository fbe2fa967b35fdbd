"""Reading checkpoints: :func:`load_checkpoint` (a ready model) and :func:`read_checkpoint`
(configuration, arrays and states, nothing built).

Loading runs no code from the file. The order of checks is what makes that safe for files
from anywhere: HDF5 signature, format and version attributes, a walk of every link and
dataset (:mod:`.safety`: no links, external storage, virtual or unstored data), then the
configuration JSON, whose layer types resolve only through the ``tinygrad_cnn.layers``
registry and whose implied parameter sizes must fit the arrays the file stores (:mod:`.budget`)
before anything is built; then every parameter dataset's name, shape and dtype is compared
with the model built from it; only then is any array read, and each is verified against its
SHA-256 (format version 2) and, for weights, checked to be finite. Whatever HDF5 raises on a
damaged file ends in the one-line :class:`CheckpointError`.

Example:
    >>> import tempfile; from pathlib import Path; from tinygrad_cnn import nn
    >>> from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
    >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", nn.Linear(4, 2),
    ...                        metadata={"classes": ["a", "b"], "epoch": 3})
    >>> ckpt = load_checkpoint(path); model = ckpt.model.eval()
    >>> ckpt.metadata["classes"], ckpt.metadata["epoch"]
    (['a', 'b'], 3)
"""
from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import h5py
import numpy as np

from .budget import check_budget
from .errors import CheckpointError
from .integrity import Integrity, check_finite
from .layout import (ATTR_CLASS, MODEL_CONFIG, MODEL_PLUGINS, PARAMETERS, TREE_ARRAYS,
                     TREE_JSON, TREE_ARRAY_KINDS, array_refs, decode_tree)
from ..errors import one_line
from .safety import (check_header, check_structure, corrupt, open_checkpoint, read_json,
                     read_str_attr)
from .build import build_model_of

_SHOWN = 3  # how many names an architecture-mismatch message lists


@dataclass
class CheckpointData:
    """Everything in a checkpoint file, as plain data (what :func:`read_checkpoint` returns).

    ``state`` maps dotted parameter/buffer names to numpy arrays in file order;
    ``plugins`` maps each layer type of ``config`` to the ``distribution`` and ``version``
    that provided it when the file was written.
    """

    config: dict[str, Any]
    plugins: dict[str, dict[str, Any]]
    state: "OrderedDict[str, np.ndarray]"
    optimizer_state: dict[str, Any] | None
    scheduler_state: dict[str, Any] | None
    metadata: dict[str, Any]
    format_version: int
    framework_version: str
    optimizer_class: str | None = None
    scheduler_class: str | None = None


@dataclass
class Checkpoint:
    """A loaded checkpoint (what :func:`load_checkpoint` returns).

    ``model`` is rebuilt from the stored configuration with the stored weights, on the
    requested device, in training mode (call ``.eval()`` for inference).
    ``optimizer_state``/``scheduler_state`` are ready for ``load_state_dict`` of an optimizer
    and scheduler built over ``model.parameters()`` (``None`` when not saved). As in
    PyTorch, build both first and load both after: building a schedule sets the learning
    rate, which the optimizer state then restores.
    ``optimizer_class``/``scheduler_class`` are the class names recorded at save time,
    for information only: nothing is ever imported from them.
    """

    model: Any
    optimizer_state: dict[str, Any] | None
    scheduler_state: dict[str, Any] | None
    metadata: dict[str, Any]
    format_version: int
    framework_version: str
    config: dict[str, Any] = field(default_factory=dict)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    optimizer_class: str | None = None
    scheduler_class: str | None = None
    path: Path | None = None


def read_checkpoint(path: str | os.PathLike[str]) -> CheckpointData:
    """Read a checkpoint's configuration, arrays and states without building a model.

    All structural checks of :func:`load_checkpoint` apply; with no model to compare with,
    parameters must be float32/float64 or integer arrays, and the structure check already
    guarantees no dataset declares more bytes than the file stores.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from tinygrad_cnn import nn; from tinygrad_cnn.checkpoint import save_checkpoint
        >>> data = read_checkpoint(save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5",
        ...                                        nn.Sequential(nn.Linear(4, 3), nn.ReLU())))
        >>> data.config["type"], list(data.state)[:2]
        ('Sequential', ['0.weight', '0.bias'])
    """
    label = str(path)
    with _reading(label), open_checkpoint(path) as f:
        version, framework = check_header(f, label)
        check_structure(f, label, version)
        verify = Integrity(label, version)
        config, plugins = _read_model(f, label, verify)
        datasets = _parameter_datasets(f, label)
        for name, ds in datasets.items():
            if not _state_dtype_ok(ds.dtype):
                raise _bad_dtype(label, name, ds.dtype)
        state = OrderedDict((name, verify.read(ds, f"/{PARAMETERS}/{name}"))
                            for name, ds in datasets.items())
        opt, opt_cls = _read_tree(f, "optimizer", label, verify, _float_arrays(label, None))
        sched, sched_cls = _read_tree(f, "scheduler", label, verify)
        meta, _ = _read_tree(f, "metadata", label, verify)
    return CheckpointData(config, plugins, state, _int_state_keys(opt), sched, meta or {},
                          version, framework, opt_cls, sched_cls)


def load_checkpoint(path: str | os.PathLike[str], *, device: str | None = "cpu",
                    model: Any = None, allow_nonfinite: bool = False) -> Checkpoint:
    """Rebuild the saved model with its weights, and return it with the saved optimizer and
    scheduler state and metadata.

    With ``model`` given, the weights are loaded into it instead (after the same checks:
    a checkpoint of another architecture is refused, naming the first differences), e.g.
    to resume a run whose model was built from command-line options. The model is moved to
    ``device`` (``None`` leaves it where it is). Weights holding NaN or Inf are refused
    unless ``allow_nonfinite`` (to inspect a diverged run).

    Every problem is a one-line :class:`CheckpointError`: not HDF5, truncated, not a
    tinygrad-cnn checkpoint, a newer format version, links or external storage, a layer
    type whose plugin is not installed (naming the plugin to install), another architecture.

    Example:
        >>> import tempfile; from pathlib import Path; from tinygrad_cnn import nn, optim
        >>> from tinygrad_cnn.checkpoint import save_checkpoint
        >>> model = nn.Linear(4, 2); opt = optim.Adam(model.parameters(), lr=0.5)
        >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "model.h5", model, optimizer=opt,
        ...                        scheduler=optim.lr_scheduler.StepLR(opt, step_size=10))
        >>> ckpt = load_checkpoint(path)
        >>> opt = optim.Adam(ckpt.model.parameters(), lr=1e-3)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)
        >>> opt.load_state_dict(ckpt.optimizer_state)
        >>> sched.load_state_dict(ckpt.scheduler_state)
        >>> opt.param_groups[0]["lr"]
        0.5
    """
    label = str(path)
    with _reading(label), open_checkpoint(path) as f:
        version, framework = check_header(f, label)
        check_structure(f, label, version)
        verify = Integrity(label, version)
        config, plugins = _read_model(f, label, verify)
        datasets = _parameter_datasets(f, label)
        built = model is None
        if built:
            check_budget(config, sum(int(np.prod(ds.shape, dtype=object))
                                     for ds in datasets.values()), label)
            model = build_model_of(config, plugins, label)
        own = model.state_dict()
        _match(datasets, own, label,
               "the model built from its configuration" if built else "the given model")
        floats = {ds.dtype.itemsize for name, ds in datasets.items() if ds.dtype.kind == "f"}
        if built and floats == {8}:
            model.to(dtype=np.float64)  # keep a float64 model float64
        arrays = OrderedDict((name, verify.read(ds, f"/{PARAMETERS}/{name}"))
                             for name, ds in datasets.items())
        if not allow_nonfinite:
            check_finite(arrays, label)
        try:
            model.load_state_dict(arrays)
        except (RuntimeError, ValueError, TypeError) as err:
            raise CheckpointError(f"{label}: its weights do not fit the model: "
                                  f"{one_line(err)}") from None
        shapes = {tuple(a.shape) for name, a in own.items() if a.dtype.kind == "f"}
        opt, opt_cls = _read_tree(f, "optimizer", label, verify, _float_arrays(label, shapes))
        sched, sched_cls = _read_tree(f, "scheduler", label, verify)
        meta, _ = _read_tree(f, "metadata", label, verify)
    if device is not None:
        model.to(device)
    return Checkpoint(model, _int_state_keys(opt), sched, meta or {}, version, framework,
                      config, plugins, opt_cls, sched_cls, Path(path))


@contextlib.contextmanager
def _reading(label: str) -> Iterator[None]:
    """Turn whatever reading a damaged file raises (HDF5's OSError, KeyError, ValueError,
    OverflowError..., a layer constructor's error) into the one-line error."""
    try:
        yield
    except CheckpointError:
        raise
    except MemoryError:
        raise CheckpointError(f"{label}: not enough memory to load it (the file declares "
                              "more data than this machine can hold)") from None
    except RecursionError:
        raise CheckpointError(f"{label}: its contents nest too deeply: the file is damaged "
                              "or forged") from None
    except Exception as err:  # noqa: BLE001 - any failure to read is a CheckpointError
        raise corrupt(label, f"{type(err).__name__}: {err}") from None


def _read_model(f: h5py.File, label: str, verify: Integrity
                ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    config = read_json(f, MODEL_CONFIG, label, verify.read)
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        raise CheckpointError(f"{label}: /{MODEL_CONFIG} is not a layer configuration (a JSON "
                              "object with a \"type\"): the file is damaged")
    plugins = read_json(f, MODEL_PLUGINS, label, verify.read) if MODEL_PLUGINS in f else {}
    if not isinstance(plugins, dict) or not all(isinstance(v, dict) for v in plugins.values()):
        raise CheckpointError(f"{label}: /{MODEL_PLUGINS} must be a JSON object of layer type "
                              "-> {\"distribution\", \"version\"}")
    return config, plugins


def _parameter_datasets(f: h5py.File, label: str) -> "OrderedDict[str, h5py.Dataset]":
    group = f.get(PARAMETERS)
    if not isinstance(group, h5py.Group):
        raise CheckpointError(f"{label}: the /{PARAMETERS} group is missing: the file is "
                              "incomplete; save the checkpoint again")
    out: OrderedDict[str, h5py.Dataset] = OrderedDict()
    for name in group:
        obj = group[name]
        if not isinstance(obj, h5py.Dataset):
            raise CheckpointError(f"{label}: /{PARAMETERS}/{name} is a group; /{PARAMETERS} "
                                  "holds one dataset per dotted state name")
        out[name] = obj
    return out


def _state_dtype_ok(dtype: np.dtype, like: np.dtype | None = None) -> bool:
    """Float32/float64 for float state, the model's own integer dtype (int64 counters)."""
    if like is not None and like.kind != "f":
        return dtype == like
    if dtype.kind == "f":
        return dtype.itemsize in (4, 8)
    return like is None and dtype.kind in "iub"


def _bad_dtype(label: str, name: str, dtype: np.dtype, want: str = "") -> CheckpointError:
    want = want or "float32/float64 (int64 for counters)"
    return CheckpointError(f"{label}: parameter {name!r} is stored as {dtype}, expected {want}: "
                           "the file is damaged or was not written by save_checkpoint()")


def _listing(names: list[str], shown: int = _SHOWN) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def fit_problems(own: Mapping[str, tuple[int, ...]], given: Mapping[str, tuple[int, ...]],
                 shown: int = _SHOWN) -> list[str]:
    """What keeps the arrays ``given`` (name -> shape) from filling a model whose state is
    ``own`` (name -> shape): missing and unexpected names, other shapes (``shown`` names of
    each listed); empty when they fit.

    Example:
        >>> fit_problems({"w": (2, 3), "b": (2,)}, {"w": (3, 3), "x": (1,)})
        ['missing b', 'unexpected x', 'shape (file vs model) w (3, 3) vs (2, 3)']
    """
    parts = []
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    shapes = [f"{k} {tuple(shape)} vs {tuple(own[k])}" for k, shape in given.items()
              if k in own and tuple(shape) != tuple(own[k])]
    if missing:
        parts.append(f"missing {_listing(missing, shown)}")
    if unexpected:
        parts.append(f"unexpected {_listing(unexpected, shown)}")
    if shapes:
        parts.append(f"shape (file vs model) {_listing(shapes, shown)}")
    return parts


def _match(datasets: "OrderedDict[str, h5py.Dataset]", own: "OrderedDict[str, np.ndarray]",
           label: str, against: str) -> None:
    """Refuse (before reading any data) names, shapes or dtypes that differ from ``own``."""
    parts = fit_problems({k: a.shape for k, a in own.items()},
                         {k: ds.shape for k, ds in datasets.items()})
    if parts:
        raise CheckpointError(f"{label} holds another architecture than {against}: "
                              f"{'; '.join(parts)}: load it with the model it was saved from")
    for name, ds in datasets.items():
        like = own[name].dtype
        if not _state_dtype_ok(ds.dtype, like):
            raise _bad_dtype(label, name, ds.dtype,
                             "float32/float64" if like.kind == "f" else str(like))


ArrayCheck = Callable[[h5py.Dataset, str], None]


def _float_arrays(label: str, shapes: set[tuple[int, ...]] | None) -> ArrayCheck:
    """Optimizer arrays are float and shaped like one of the model's parameters."""
    def check(ds: h5py.Dataset, where: str) -> None:
        if ds.dtype.kind != "f" or ds.dtype.itemsize not in (4, 8):
            raise CheckpointError(f"{label}: {where} is stored as {ds.dtype}; optimizer state "
                                  "arrays are float32/float64")
        if shapes is not None and tuple(ds.shape) not in shapes:
            raise CheckpointError(f"{label}: {where} has shape {tuple(ds.shape)}, which no "
                                  "parameter of the model has: the optimizer state belongs to "
                                  "another architecture")
    return check


def _read_tree(f: h5py.File, key: str, label: str, verify: Integrity,
               check: ArrayCheck | None = None) -> tuple[Any, str | None]:
    """Decode the JSON-with-arrays tree of group ``key`` (``(None, None)`` when absent),
    checking every referenced dataset before reading any."""
    group = f.get(key)
    if group is None:
        return None, None
    if not isinstance(group, h5py.Group):
        raise CheckpointError(f"{label}: /{key} must be a group")
    tree = read_json(f, f"{key}/{TREE_JSON}", label, verify.read)
    cls = read_str_attr(group, ATTR_CLASS, label, vlen_ok=verify.version == 1)
    arrays = group.get(TREE_ARRAYS)
    found: dict[str, h5py.Dataset] = {}
    for name, where in array_refs(tree, key):
        ds = arrays.get(name) if isinstance(arrays, h5py.Group) and isinstance(name, str) \
            and "/" not in name else None
        if not isinstance(ds, h5py.Dataset):
            raise CheckpointError(f"{label}: {where} refers to array {name!r}, which "
                                  f"/{key}/{TREE_ARRAYS} does not hold: the file is damaged")
        if h5py.check_string_dtype(ds.dtype) or ds.dtype.kind not in TREE_ARRAY_KINDS:
            raise CheckpointError(f"{label}: {where} has dtype {ds.dtype}; arrays in "
                                  "checkpoints are bool, integer or float")
        if check is not None:
            check(ds, where)
        found[name] = ds
    return decode_tree(tree, lambda name, where: verify.read(found[name], where), key), cls


def _int_state_keys(state: Any) -> Any:
    """JSON turned the optimizer's parameter indices into strings; turn them back."""
    if isinstance(state, dict) and isinstance(state.get("state"), dict):
        state["state"] = {int(k) if isinstance(k, str) and k.isascii() and k.isdigit() else k: v
                          for k, v in state["state"].items()}
    return state
