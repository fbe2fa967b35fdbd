"""Layers as JSON-serialisable configuration, and back: ``to_config`` / ``from_config``.

A configuration is ``{"type": <registered name>, "args": {<constructor arguments>}}``;
containers add ``"layers": [<configurations>]`` (an entry carries ``"name"`` when its child
is not named by its index). Types resolve only through the ``tinygrad_cnn.layers``
entry-point registry, so rebuilding a model runs no stored code.

Example:
    >>> from tinygrad_cnn import nn
    >>> cfg = to_config(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()))
    >>> cfg["layers"][1]
    {'type': 'ReLU', 'args': {}}
    >>> model = from_config(cfg)
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from ..nn.module import Module
from ..errors import one_line
from .errors import (ConfigError, LayerNotFoundError, PluginError, argument_problem,
                     signature_text)

_KEYS = {"type", "args", "layers", "name"}


def _registry() -> Any:
    from . import LAYERS
    return LAYERS


def to_config(module: Module) -> dict[str, Any]:
    """The configuration tree of ``module``; raises :class:`PluginError` for a layer class
    that is not registered and :class:`ConfigError` for arguments that are not JSON."""
    if not isinstance(module, Module):
        raise TypeError(f"to_config: expected a Module, got {type(module).__name__}")
    name = _registry().name_of(type(module))
    try:
        args = dict(module.get_config())
    except NotImplementedError as exc:
        raise ConfigError(one_line(str(exc))) from None
    try:
        json.dumps(args, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}.get_config() returned arguments that are not "
                          f"JSON-serialisable: {exc}") from None
    config: dict[str, Any] = {"type": name, "args": args}
    if module.is_container:
        layers = []
        for i, (child_name, child) in enumerate(module.named_children()):
            child_cfg = to_config(child)
            layers.append(child_cfg if child_name == str(i) else {"name": child_name, **child_cfg})
        config["layers"] = layers
    # a non-container layer with sub-layers (e.g. a plugin's block) rebuilds them from its args
    return config


def from_config(config: Mapping[str, Any], *, path: str = "model") -> Module:
    """Build the module described by ``config`` (see the module docstring).

    Errors are one line and say where in the tree they are (``path``, e.g.
    ``model.layers[3]``): :class:`LayerNotFoundError` for an unknown type (with close matches),
    :class:`ConfigError` for a malformed entry or arguments the layer rejects.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: a layer configuration must be an object with a \"type\", "
                          f"got {type(config).__name__} {one_line(repr(config))[:80]}")
    extra = sorted(set(config) - _KEYS)
    if extra:
        raise ConfigError(f"{path}: unknown keys {extra} (a layer configuration has "
                          f"\"type\", \"args\" and, for containers, \"layers\")")
    kind = config.get("type")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{path}: missing layer \"type\" (a registered layer name such as "
                          f"\"Conv2d\")")
    where = f"{path} ({kind})"
    args = config.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping) or not all(isinstance(k, str) for k in args):
        raise ConfigError(f"{where}: \"args\" must be an object of argument names to values, "
                          f"got {one_line(repr(args))[:80]}")
    try:
        cls = _registry().get(kind)
    except LayerNotFoundError as exc:
        raise LayerNotFoundError(f"{path}: {exc}") from None
    except PluginError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    children = None
    if "layers" in config:
        raw = config["layers"]
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: \"layers\" must be a list of layer configurations")
        if not getattr(cls, "is_container", False):
            raise ConfigError(f"{where}: {kind} is not a container, it cannot hold \"layers\"")
        children = []
        for i, child in enumerate(raw):
            name = child.get("name", str(i)) if isinstance(child, Mapping) else str(i)
            if not isinstance(name, str) or not name or "." in name:
                raise ConfigError(f"{path}.layers[{i}]: \"name\" must be a non-empty string "
                                  f"without dots, got {name!r}")
            sub = {k: v for k, v in child.items() if k != "name"} if isinstance(child, Mapping) \
                else child
            children.append((name, from_config(sub, path=f"{path}.layers[{i}]")))
        if len({n for n, _ in children}) != len(children):
            raise ConfigError(f"{where}: two child layers share a name")
    _check_signature(cls, kind, dict(args), where)
    try:
        return cls.from_config(dict(args), layers=children)
    except (TypeError, ValueError) as exc:
        raise ConfigError(one_line(f"{where}: bad args {json.dumps(dict(args))}: {exc}")) from None


def _check_signature(cls: type, kind: str, args: dict[str, Any], where: str) -> None:
    """Reject unknown or missing arguments before calling the constructor, naming them."""
    problem = argument_problem(cls, args)
    if problem:
        raise ConfigError(one_line(f"{where}: bad args: {problem}; {kind} takes "
                                   f"{signature_text(cls)}"))
