"""The state of a module tree: the walk over its parameters and persistent buffers that
``state_dict``, ``load_state_dict``, ``to`` and ``zero_grad`` share, written once, with the
small records ``Module``'s methods return (``IncompatibleKeys``, the hook ``RemovableHandle``).

Example:
    >>> from tinygrad_cnn.nn import Linear
    >>> list(named_state_tensors(Linear(2, 1)))
    ['weight', 'bias']
"""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple

import numpy as np

from ..backends import get_backend, normalize_device
from ..creation import zeros
from ..errors import TinygradCNNError
from ..tensor import FLOAT_DTYPES, Tensor

if TYPE_CHECKING:
    from .module import Module

__all__ = ["IncompatibleKeys", "StateDictError", "RemovableHandle", "named_state_tensors",
           "load_state", "move_state", "zero_grads"]


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` could not match (``strict=False``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(TinygradCNNError, RuntimeError):
    """A state dict does not fit the module (missing or unexpected keys, shape mismatches)."""


class RemovableHandle:
    """Returned by :meth:`Module.register_forward_hook`; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _to_host_array(value: Any) -> np.ndarray:
    """A numpy view of a state-dict entry (numpy array, Tensor or anything array-like)."""
    if isinstance(value, Tensor):
        return value.numpy()
    return np.asarray(value)


def _move(t: Tensor, device: str | None, dtype: np.dtype | None) -> None:
    """Move/cast ``t`` in place, keeping its identity (so optimizers' references stay valid)."""
    new_dtype = dtype if dtype is not None and t.dtype in FLOAT_DTYPES else t.dtype
    new_device = device or t.device
    if new_device == t.device and new_dtype == t.dtype:
        return
    t.data = Tensor(t.numpy(), dtype=new_dtype, device=new_device)  # sets the device too


def named_state_tensors(module: "Module", prefix: str = "") -> "OrderedDict[str, Tensor]":
    """Parameters and persistent buffers of ``module`` and its descendants under dotted names
    (the keys of ``state_dict``), as the live tensors.

    Example:
        >>> from tinygrad_cnn.nn import BatchNorm2d
        >>> list(named_state_tensors(BatchNorm2d(2), prefix="bn"))
        ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']
    """
    out: OrderedDict[str, Tensor] = OrderedDict()
    for owner_name, owner in module.named_modules(prefix):
        dotted = f"{owner_name}." if owner_name else ""
        for name, p in owner._parameters.items():
            if p is not None:
                out[dotted + name] = p
        for name, b in owner._buffers.items():
            if b is not None and name not in owner._non_persistent:
                out[dotted + name] = b
    return out


def load_state(module: "Module", state_dict: Mapping[str, Any], strict: bool = True
               ) -> IncompatibleKeys:
    """:meth:`Module.load_state_dict`: copy ``state_dict`` into ``module``'s tensors in place,
    changing nothing unless every entry fits.

    Example:
        >>> from tinygrad_cnn.nn import Linear
        >>> load_state(Linear(2, 1), {"weight": np.ones((1, 2))}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got "
                        f"{type(state_dict).__name__}")
    own = named_state_tensors(module)
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    arrays: dict[str, np.ndarray] = {}
    mismatched = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        arr = _to_host_array(state_dict[key])
        if arr.dtype.kind not in "biuf":
            mismatched.append(f"{key}: checkpoint dtype {arr.dtype} is not a real number "
                              f"type (model {target.dtype})")
        elif tuple(arr.shape) != target.shape:
            mismatched.append(f"{key}: checkpoint {tuple(arr.shape)} vs model {target.shape}")
        arrays[key] = arr
    problems = []
    if strict and missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches: {'; '.join(mismatched)}")
    if problems:
        raise StateDictError(f"load_state_dict into {type(module).__name__} failed: "
                             + " | ".join(problems))
    for key, arr in arrays.items():
        target = own[key]
        target.data = Tensor(arr, dtype=target.dtype, device=target.device)  # a copy
    return IncompatibleKeys(missing, unexpected)


def move_state(module: "Module", device: str | None, dtype: Any) -> None:
    """:meth:`Module.to`: move/cast every parameter, buffer and gradient in place.

    Example:
        >>> from tinygrad_cnn.nn import Linear
        >>> layer = Linear(2, 1); move_state(layer, None, np.float64); layer.bias.dtype
        dtype('float64')
    """
    dev = normalize_device(device) if device is not None else None
    dt = np.dtype(dtype) if dtype is not None else None
    if dt is not None and dt not in FLOAT_DTYPES:
        raise TypeError(f"Module.to: dtype must be float32 or float64, got {dt}")
    if dev is not None:
        get_backend(dev)  # fail early (e.g. no GPU) before moving anything
    for t in list(module.parameters()) + list(module.buffers()):
        _move(t, dev, dt)
        if t.grad is not None:
            _move(t.grad, dev, dt)


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """:meth:`Module.zero_grad`: drop each gradient, or fill it with zeros.

    Example:
        >>> t = Tensor(np.ones(2), requires_grad=True); t.sum().backward()
        >>> zero_grads([t], set_to_none=False); t.grad.numpy().tolist()
        [0.0, 0.0]
    """
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad = zeros(p.shape, dtype=p.dtype, device=p.device)
