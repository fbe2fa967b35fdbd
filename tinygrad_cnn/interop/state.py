"""State dicts coming in from other frameworks: unwrapping, checking, loading into a model.

Names are PyTorch's dotted names (``features.0.weight``), the same on both sides, so no
renaming table is needed for models built with the same layer order as torchvision's.

Example:
    >>> import numpy as np
    >>> sd = unwrap_state_dict({"state_dict": {"module.fc.weight": np.zeros((2, 3))}}, "ckpt")
    >>> list(sd)
    ['fc.weight']
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from ..checkpoint.load import fit_problems
from .errors import InteropError

#: keys under which training frameworks wrap the state dict (Lightning, timm, scripts)
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "module")
PREFIX = "module."  # DataParallel / DistributedDataParallel
_SHOWN = 6


def _is_state(obj: Any) -> bool:
    return isinstance(obj, Mapping) and len(obj) > 0 and all(
        isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items())


def unwrap_state_dict(obj: Any, label: str = "the file") -> "OrderedDict[str, np.ndarray]":
    """The state dict in ``obj``: ``obj`` itself, or its ``state_dict``/``model`` entry; a
    ``module.`` prefix on every name (DataParallel) is removed.

    Example:
        >>> list(unwrap_state_dict({"w": np.zeros(1)}))
        ['w']
    """
    state = obj
    if not _is_state(state) and isinstance(obj, Mapping):
        found = [k for k in WRAPPER_KEYS if _is_state(obj.get(k))]
        if found:
            state = obj[found[0]]
    if not _is_state(state):
        what = (f"a dict with keys {sorted(map(str, obj))[:_SHOWN]}" if isinstance(obj, Mapping)
                else type(obj).__name__)
        raise InteropError(f"{label} holds {what}, not a state dict of names to tensors (nor "
                           f"one under {', '.join(WRAPPER_KEYS)}); save model.state_dict()")
    names = list(state)
    if all(n.startswith(PREFIX) for n in names):
        names = [n[len(PREFIX):] for n in names]
    return OrderedDict(zip(names, state.values()))


def _listing(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


class _Spec:
    """Shape and dtype of a model entry (without copying its data)."""

    def __init__(self, shape: tuple, dtype: np.dtype) -> None:
        self.shape, self.dtype = tuple(shape), dtype


def load_into(model: Any, state: Mapping[str, np.ndarray], label: str = "the file") -> Any:
    """Load ``state`` into ``model`` strictly: missing, unexpected and mis-shaped names are
    listed in one :class:`InteropError` and nothing is changed. Float arrays are cast to the
    model's dtype; BatchNorm's ``num_batches_tracked`` may be absent (old files): it is 0.

    Example:
        >>> from tinygrad_cnn import nn
        >>> m = nn.Linear(2, 1)
        >>> _ = load_into(m, {"weight": np.ones((1, 2)), "bias": np.zeros(1)})
        >>> m.weight.numpy().tolist()
        [[1.0, 1.0]]
    """
    own = {k: _Spec(t.shape, np.dtype(t.dtype)) for k, t in model._state_tensors().items()}
    state = dict(state)
    for name in own:
        if name.endswith("num_batches_tracked") and name not in state:
            state[name] = np.zeros((), np.int64)
    parts = fit_problems({k: spec.shape for k, spec in own.items()},
                         {k: np.shape(v) for k, v in state.items()}, shown=_SHOWN)
    kinds = [f"{k} {np.asarray(v).dtype} vs {own[k].dtype}" for k, v in state.items()
             if k in own and (np.asarray(v).dtype.kind == "f") != (own[k].dtype.kind == "f")]
    if kinds:
        parts.append(f"dtype (file vs model) {_listing(kinds)}")
    if parts:
        raise InteropError(f"{label} does not fit the model: {'; '.join(parts)}; check the model "
                           "and its size arguments (num_classes, input_size, head, width)")
    model.load_state_dict(OrderedDict((k, state[k]) for k in own))
    return model
