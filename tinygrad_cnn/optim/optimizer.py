"""The ``Optimizer`` base class: parameter groups, per-parameter state and its serialisation.

Subclasses define :meth:`Optimizer._validate` (hyper-parameter checks) and
:meth:`Optimizer._update` (one parameter's step through its device's backend kernels); the
base class handles the PyTorch conventions around them.

State dict layout (what :meth:`Optimizer.state_dict` returns and
:meth:`Optimizer.load_state_dict` accepts) — only Python scalars, lists, ``None`` and numpy
arrays, so it can be written to JSON + HDF5 without pickling::

    {
      "param_groups": [                      # one dict per group, in order
        {"lr": 0.1, "momentum": 0.9, ...,    # every hyper-parameter (tuples become lists)
         "params": [0, 1, 2]},               # indices of the group's parameters
        ...
      ],
      "state": {                             # only parameters that have state yet
        0: {"momentum_buffer": ndarray},     # SGD with momentum
        1: {"step": 3, "exp_avg": ndarray, "exp_avg_sq": ndarray},   # Adam / AdamW
        ...
      },
    }

Parameter indices count through all groups in order (group 0's parameters first), as in
PyTorch. Arrays are host copies with the parameter's shape and dtype. ``load_state_dict``
also accepts string keys in ``"state"`` (``"0"``), numpy scalars for scalars and lists for
tuples, since that is what comes back from JSON or HDF5.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> from tinygrad_cnn.optim import SGD
    >>> w = Tensor(np.ones(2), requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = Tensor(np.ones(2))
    >>> opt.step()
    >>> sd = opt.state_dict()
    >>> sd["param_groups"][0]["params"], sd["state"][0]["momentum_buffer"].tolist()
    ([0], [1.0, 1.0])
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..backends import get_backend
from ..tensor import Tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of the optimizers, with PyTorch's ``param_groups`` conventions.

    ``params`` is an iterable of :class:`~tinygrad_cnn.Tensor` or of dicts with a
    ``"params"`` entry and per-group hyper-parameters overriding ``defaults``.

    Example:
        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.optim import SGD
        >>> w1, w2 = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
        >>> opt = SGD([{"params": [w1]}, {"params": [w2], "lr": 0.01}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
    """

    #: Names of the per-parameter state entries that are arrays shaped like the parameter.
    _buffer_keys: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, (Tensor, set, dict)):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        # Keyed by the parameter itself (Tensor hashes by identity, like torch.Tensor).
        self.state: dict[Tensor, dict[str, Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- groups ----
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; missing hyper-parameters are taken from ``defaults``.

        Example:
            >>> from tinygrad_cnn import Tensor, nn
            >>> from tinygrad_cnn.optim import SGD
            >>> head = nn.Linear(2, 1)
            >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
            >>> opt.add_param_group({"params": [head.weight], "lr": 1e-2})
            >>> [(len(g["params"]), g["lr"], g["momentum"]) for g in opt.param_groups]
            [(1, 0.1, 0.9), (1, 0.01, 0.9)]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("param group has no 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs; "
                            "use a list instead")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("a parameter appears more than once in one parameter group")
        if any(id(p) in ids for g in self.param_groups for p in g["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {k: v for k, v in param_group.items() if k != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        group["params"] = params
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise a one-line ``ValueError`` for an invalid hyper-parameter of ``group``."""

    # ---- the step ----
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or, with ``set_to_none=False``, zero it)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` when given.

        ``closure`` re-evaluates the model and returns the loss (PyTorch's convention); it
        runs with gradient recording enabled, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, self._grad_array(p), group, self.state.setdefault(p, {}))
        return loss

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        """Update ``p``'s storage in place from the backend array ``grad``."""
        raise NotImplementedError

    @staticmethod
    def _grad_array(p: Tensor) -> Any:
        """``p.grad`` as a backend array of the parameter's dtype, after checking it fits."""
        g = p.grad
        if not isinstance(g, Tensor):
            raise TypeError(f"parameter .grad must be a Tensor or None, got {type(g).__name__}")
        if g.shape != p.shape:
            raise ValueError(f"gradient of shape {g.shape} for a parameter of shape {p.shape}")
        if g.device != p.device:
            raise ValueError(f"gradient on {g.device} for a parameter on {p.device}")
        if p.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"can only optimize float32/float64 parameters, got {p.dtype}")
        if g.dtype != p.dtype:
            return get_backend(p.device).astype(g._array, p.dtype)
        return g._array

    # ---- serialisation ----
    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and state as plain scalars, lists and numpy arrays (see module doc).

        Example:
            >>> from tinygrad_cnn import Tensor
            >>> from tinygrad_cnn.optim import SGD
            >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
            >>> sd = opt.state_dict()
            >>> sorted(sd)
            ['param_groups', 'state']
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state: dict[int, dict[str, Any]] = {}
        for group in self.param_groups:
            for p in group["params"]:
                entries = self.state.get(p)
                if not entries:
                    continue
                be = get_backend(p.device)
                state[index[id(p)]] = {
                    k: np.array(be.to_numpy(v), copy=True) if k in self._buffer_keys
                    else _plain(v) for k, v in entries.items()}
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict`.

        The optimizer must have been built over parameters of the same shapes, in the same
        groups. Arrays are copied to each parameter's device and dtype.

        Example:
            >>> from tinygrad_cnn import Tensor
            >>> from tinygrad_cnn.optim import SGD
            >>> w = Tensor([1.0, 1.0], requires_grad=True)
            >>> opt = SGD([w], lr=0.1, momentum=0.9)
            >>> w.grad = Tensor([1.0, 1.0]); opt.step()
            >>> w_fresh = Tensor([1.0, 1.0], requires_grad=True)
            >>> fresh = SGD([w_fresh], lr=0.5, momentum=0.9)
            >>> fresh.load_state_dict(opt.state_dict())
            >>> fresh.param_groups[0]["lr"], fresh.state[w_fresh]["momentum_buffer"].tolist()
            (0.1, [1.0, 1.0])
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        new_groups = []
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"loaded parameter group {i} has {len(saved['params'])} "
                                 f"parameters, the optimizer's has {len(mine['params'])}")
            for idx, p in zip(saved["params"], mine["params"]):
                by_index[int(idx)] = p
            group = {k: self._restore_hyper(k, v) for k, v in saved.items() if k != "params"}
            self._validate(group)
            group["params"] = mine["params"]
            new_groups.append(group)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entries in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"loaded state for parameter index {key}, which no parameter "
                                 "group lists")
            new_state[p] = {k: self._restore_state(p, k, v) for k, v in entries.items()}
        self.param_groups = new_groups
        self.state = new_state

    def _restore_hyper(self, key: str, value: Any) -> Any:
        value = _python(value)
        if isinstance(self.defaults.get(key), tuple) and isinstance(value, list):
            value = tuple(value)
        return value

    def _restore_state(self, p: Tensor, key: str, value: Any) -> Any:
        if key not in self._buffer_keys:
            return _python(value)
        arr = np.asarray(value)
        if arr.shape != p.shape:
            raise ValueError(f"loaded {key} of shape {arr.shape} for a parameter of shape "
                             f"{p.shape}")
        host = np.array(arr, dtype=p.dtype, order="C", copy=True)
        return get_backend(p.device).from_numpy(host)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        lines.append(")")
        return "\n".join(lines)


def check_nonneg(group: dict[str, Any], key: str, message: str) -> None:
    """``ValueError("<message>: <value>")`` unless ``group[key]`` is a real number >= 0.

    Example:
        >>> check_nonneg({"lr": -1}, "lr", "Invalid learning rate")
        Traceback (most recent call last):
        ValueError: Invalid learning rate: -1
    """
    value = group[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{message}: {value}")


def _plain(value: Any) -> Any:
    """A hyper-parameter or scalar state as JSON-friendly Python values (tuples -> lists)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return _python(value)


def _python(value: Any) -> Any:
    """Numpy scalars, 0-d arrays and bytes (as read back from HDF5) as plain Python values."""
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else [_python(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_python(v) for v in value]
    return value
