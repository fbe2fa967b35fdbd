"""The layer registry: every layer type, built-in or third-party, is found through the
entry-point group ``tinygrad_cnn.layers`` (``name = package.module:Class``).

Discovery is lazy and cached: :func:`available` lists the declared layers without importing
them; :func:`get` imports one on first use. A plugin that fails to import is recorded and
shown by :func:`available`/:func:`failures` while the other layers keep working; strict mode
(``TGCNN_STRICT_PLUGINS=1``, :func:`set_strict`, or the CLI's ``--strict-plugins``) makes any
broken plugin an error.

Example:
    >>> import tinygrad_cnn.layers as layers
    >>> layers.get("Conv2d")
    <class 'tinygrad_cnn.nn.layers.conv.Conv2d'>
    >>> [row.name for row in layers.available()][:3]
    ['AdaptiveAvgPool2d', 'AvgPool2d', 'BatchNorm1d']
"""
from __future__ import annotations

from typing import Any

from .config import from_config, to_config
from .errors import (ConfigError, LayerNotFoundError, ModelNotFoundError, PluginCollisionError,
                     PluginError, PluginWarning)
from .registry import STRICT_ENV, EntryPointRegistry, PluginInfo, set_strict, strict_mode

GROUP = "tinygrad_cnn.layers"


def _is_layer_class(obj: Any) -> str | None:
    from ..nn.module import Module
    if isinstance(obj, type) and issubclass(obj, Module):
        return None
    return f"expected a tinygrad_cnn.nn.Module subclass, got {obj!r}"


LAYERS = EntryPointRegistry(GROUP, kind="layer", validate=_is_layer_class,
                            not_found=LayerNotFoundError)


def available(load: bool = False, strict: bool | None = None) -> list[PluginInfo]:
    """Every declared layer: name, class path (``value``), distribution, version, whether it
    is loaded and its error if one was seen. Imports nothing unless ``load=True`` (then every
    layer is imported first, warning about, or in strict mode raising on, broken plugins)."""
    return LAYERS.available(load=load, strict=strict)


def get(name: str, strict: bool | None = None) -> type:
    """The layer class registered as ``name`` (imported on first use).

    Example:
        >>> get("Conv2d")(3, 2, 3).num_parameters()
        56
    """
    return LAYERS.get(name, strict=strict)


def failures() -> dict[str, str]:
    """Layer name -> one-line error for every broken plugin seen so far and every collision."""
    return LAYERS.failures()


def load_all(strict: bool | None = None) -> dict[str, type]:
    """Import every declared layer (see :meth:`EntryPointRegistry.load_all`)."""
    return LAYERS.load_all(strict=strict)


def names() -> list[str]:
    """Every registered layer name, sorted, without importing anything."""
    return LAYERS.names()


def name_of(cls: type) -> str:
    """The registered name of a layer class (what configurations store)."""
    return LAYERS.name_of(cls)


def clear_cache() -> None:
    """Forget what was discovered and loaded (after installing or removing a plugin); model
    builders are forgotten too."""
    LAYERS.clear_cache()
    from .exporters import EXPORTERS
    EXPORTERS.clear_cache()
    from .. import models
    models.BUILDERS.clear_cache()


__all__ = ["GROUP", "LAYERS", "available", "get", "failures", "load_all", "names", "name_of",
           "clear_cache", "to_config", "from_config", "set_strict", "strict_mode", "STRICT_ENV",
           "PluginInfo", "EntryPointRegistry", "PluginError", "PluginCollisionError",
           "PluginWarning", "LayerNotFoundError", "ModelNotFoundError", "ConfigError"]
