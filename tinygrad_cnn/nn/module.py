"""``Module`` and ``Parameter``: the layer base class with PyTorch's conventions.

A ``Module`` holds parameters (trainable leaves), buffers (state that is saved but not
trained, e.g. batch-norm running statistics) and sub-modules, registered by plain attribute
assignment. Names nest with dots (``features.0.weight``) in ``named_parameters()`` and
``state_dict()``, exactly as in PyTorch, so a PyTorch ``state_dict`` of the same architecture
loads after ``.numpy()``.

Example:
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> model.load_state_dict(model.state_dict())
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ..tensor import Tensor
from ._state import (IncompatibleKeys, RemovableHandle, StateDictError,  # noqa: F401 (re-exported)
                     load_state, move_state, named_state_tensors, zero_grads)
from .parameter import Parameter


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign :class:`Parameter`s and sub-modules as
    attributes, register buffers with :meth:`register_buffer` and define ``forward``. To be
    saved in checkpoints and listed in model files, a layer also returns its constructor
    arguments from :meth:`get_config` and is declared in the ``tinygrad_cnn.layers``
    entry-point group.

    Example:
        >>> class Affine(Module):
        ...     def __init__(self, n: int) -> None:
        ...         super().__init__()
        ...         self.n = n
        ...         self.scale = Parameter(np.ones(n))
        ...     def forward(self, x):
        ...         return x * self.scale
        ...     def get_config(self):
        ...         return {"n": self.n}
    """

    #: containers (``Sequential``) serialise their children as a ``"layers"`` list
    is_container: bool = False

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ---- forward ----
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook: Callable[["Module", tuple[Any, ...], Any], Any]
                              ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None return
        replaces the output. Returns a handle whose ``remove()`` unregisters it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---- registration ----
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attribute {name!r}")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} of "
                                f"{type(self).__name__}: expected a Parameter or None")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r} of "
                                f"{type(self).__name__}: expected a Tensor or None")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to sub-module {name!r} "
                                f"of {type(self).__name__}: expected a Module or None")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: look in the registries
        for store in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(store)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"{kind} name must be a non-empty string without dots, got {name!r}")
        if hasattr(type(self), name):
            raise KeyError(f"{kind} name {name!r} clashes with an attribute of "
                           f"{type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder, as a bias-free layer's ``bias``)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is saved in ``state_dict`` (unless ``persistent=False``) and moved
        by :meth:`to`, but not trained, e.g. batch-norm's ``running_mean``."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        if isinstance(tensor, Parameter):
            raise TypeError(f"register_buffer: {name!r} is a Parameter; buffers are not trained")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a sub-module under ``name`` (what attribute assignment does)."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ---- traversal ----
    def named_modules(self, prefix: str = "", memo: set[int] | None = None
                      ) -> Iterator[tuple[str, "Module"]]:
        """This module and every descendant (each once), with dotted names ('' for self)."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """Direct sub-modules with their names."""
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator["Module"]:
        """Direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool
                       ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for owner_name, owner in owners:
            for name, t in getattr(owner, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{owner_name}.{name}" if owner_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """Parameters with dotted names; a parameter shared by two layers appears once."""
        yield from self._named_members("_parameters", prefix, recurse)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (what an optimizer is given)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        """Buffers with dotted names (e.g. ``bn.running_mean``)."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The descendant named by a dotted path, e.g. ``"features.0"``."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no sub-module {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn`` on every sub-module (children first) and on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of scalar parameters (only those with ``requires_grad`` by default).

        Example:
            >>> from tinygrad_cnn.nn import Conv2d
            >>> Conv2d(3, 2, 3).num_parameters()    # 2 filters x 3x3x3 weights + 2 biases
            56
        """
        return sum(p.numel() for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # ---- modes and gradients ----
    def train(self, mode: bool = True) -> "Module":
        """Switch this module and its descendants to training (or evaluation) mode."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(): mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout is off and batch-norm uses its running statistics."""
        return self.train(False)

    @contextlib.contextmanager
    def evaluating(self) -> Iterator["Module"]:
        """Evaluation mode inside the block; afterwards every submodule gets back its own mode.

        Example:
            >>> from tinygrad_cnn.nn import Dropout
            >>> model = Dropout(0.5)
            >>> with model.evaluating():
            ...     model.training
            False
            >>> model.training
            True
        """
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            yield self
        finally:
            for module, mode in modes:
                object.__setattr__(module, "training", mode)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (``False``) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or fill it with zeros when ``set_to_none=False``)."""
        zero_grads(self.parameters(), set_to_none)

    # ---- devices and dtypes ----
    def to(self, device: str | None = None, dtype: Any = None) -> "Module":
        """Move every parameter and buffer (and gradient) to ``device`` and/or cast the float
        ones to ``dtype``, in place: they stay the same objects, still leaves and Parameters.

        Example:
            >>> from tinygrad_cnn.nn import Linear
            >>> layer = Linear(2, 2).to(dtype=np.float64)
            >>> layer.weight.dtype
            dtype('float64')
        """
        move_state(self, device, dtype)
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self) -> "Module":
        return self.to("cuda")

    def float(self) -> "Module":
        return self.to(dtype=np.float32)

    def double(self) -> "Module":
        return self.to(dtype=np.float64)

    # ---- state ----
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, np.ndarray]":
        """Parameters and persistent buffers as host numpy copies under dotted names.

        Example:
            >>> from tinygrad_cnn.nn import BatchNorm2d, Conv2d, Sequential
            >>> list(Sequential(Conv2d(1, 2, 3), BatchNorm2d(2)).state_dict())
            ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var',
             '1.num_batches_tracked']
        """
        return OrderedDict((k, np.array(t.numpy(), copy=True))
                           for k, t in named_state_tensors(self, prefix).items())

    def _state_tensors(self) -> "OrderedDict[str, Tensor]":
        return named_state_tensors(self)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Copy values into the parameters and buffers in place (cast to each one's dtype).

        Nothing is changed when a shape differs, or (with ``strict=True``) when a key is
        missing or unexpected: a :class:`StateDictError` lists every problem. With
        ``strict=False`` the missing and unexpected keys are returned instead.
        """
        return load_state(self, state_dict, strict)

    # ---- configuration (checkpoints, model files) ----
    def get_config(self) -> dict[str, Any]:
        """The JSON-serialisable constructor arguments that rebuild this layer.

        Layers override it; a module without one cannot be saved as configuration.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not describe itself as configuration: define "
            f"get_config() returning its constructor arguments")

    @classmethod
    def from_config(cls, args: Mapping[str, Any],
                    layers: list[tuple[str, "Module"]] | None = None) -> "Module":
        """Rebuild from :meth:`get_config`'s arguments (containers also get their children)."""
        if layers:
            raise TypeError(f"{cls.__name__} is not a container but the configuration lists "
                            f"{len(layers)} child layers")
        return cls(**args)

    # ---- printing ----
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its arguments)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
