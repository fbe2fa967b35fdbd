"""``Sequential``: the container that chains layers (and names them ``0``, ``1``, ... or as
given in an ``OrderedDict``)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from ..module import Module
from ._fusion import run_fused


class Sequential(Module):
    """Apply the layers in order; ``Sequential(a, b)`` or ``Sequential(OrderedDict(name=a))``.

    Children are named ``"0"``, ``"1"``, ... (or by the dict's keys), which gives PyTorch's
    state-dict names, e.g. ``features.0.weight`` for a VGG.

    Example:
        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU
        >>> net = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
        ...                  Linear(8 * 14 * 14, 10))
        >>> net(tg.zeros(4, 1, 28, 28)).shape
        (4, 10)
    """

    is_container = True

    def __init__(self, *layers: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            items = list(layers[0].items())
        else:
            items = [(str(i), layer) for i, layer in enumerate(layers)]
        for name, layer in items:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {name!r} is a {type(layer).__name__}, "
                                f"not a Module")
            self.add_module(name, layer)

    def forward(self, x: Any) -> Any:
        layers, i = list(self._modules.values()), 0
        while i < len(layers):  # Conv2d + ReLU (+ eval BatchNorm) run as one fused op
            fused = run_fused(layers, i, x)
            x, used = (layers[i](x), 1) if fused is None else fused
            i += used
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice | str) -> Module:
        if isinstance(index, str):
            return self._modules[index]
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential index {index} out of range for {len(items)} layers")
        return items[index][1]

    def append(self, layer: Module) -> "Sequential":
        """Add ``layer`` at the end under the next free integer name."""
        self.add_module(str(len(self._modules)), layer)
        return self

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, args: Mapping[str, Any],
                    layers: list[tuple[str, Module]] | None = None) -> "Sequential":
        if args:
            raise TypeError(f"Sequential takes no arguments besides its layers, got "
                            f"{sorted(args)}")
        return cls(OrderedDict(layers or []))


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (named ``0``, ``1``, ...).

    Example:
        >>> from tinygrad_cnn.nn import Linear
        >>> layers = ModuleList([Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    is_container = True

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        if not -len(items) <= index < len(items):
            raise IndexError(f"ModuleList index {index} out of range for {len(items)} modules")
        return items[index]

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over its modules")

    def get_config(self) -> dict[str, Any]:
        return {}


class ModuleDict(Module):
    """A dict of named modules whose parameters belong to the owner.

    Example:
        >>> from tinygrad_cnn.nn import ReLU
        >>> acts = ModuleDict({"relu": ReLU()})
        >>> list(acts.keys())
        ['relu']
    """

    is_container = True

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, m in (modules or {}).items():
            self[name] = m

    def __setitem__(self, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {name!r} is a {type(module).__name__}, not a Module")
        self.add_module(name, module)

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Any:
        return self._modules.keys()

    def values(self) -> Any:
        return self._modules.values()

    def items(self) -> Any:
        return self._modules.items()

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward: look its modules up by name")

    def get_config(self) -> dict[str, Any]:
        return {}
