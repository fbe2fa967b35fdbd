"""Model builders: the VGG family, builders registered by plugins, and models from files.

Named builders are found through the entry-point group ``tinygrad_cnn.models``
(``name = package.module:function``); the project declares its VGG builders there itself.

Example:
    >>> from tinygrad_cnn import models
    >>> models.get_builder("vgg16")(num_classes=10, input_size=32, head="small").num_parameters()
    14982474
    >>> [row.name for row in models.available_models()][:2]
    ['vgg11', 'vgg11_bn']
"""
from __future__ import annotations

from typing import Any, Callable

from ..layers.errors import ModelNotFoundError
from ..layers.registry import EntryPointRegistry, PluginInfo
from .file import build_from_spec, from_file
from .vgg import (CONFIGS, init_vgg_weights, make_features, vgg, vgg11, vgg11_bn, vgg13,
                  vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)

GROUP = "tinygrad_cnn.models"


def _is_builder(obj: Any) -> str | None:
    return None if callable(obj) else f"expected a callable model builder, got {obj!r}"


BUILDERS = EntryPointRegistry(GROUP, kind="model", validate=_is_builder,
                              not_found=ModelNotFoundError)


def get_builder(name: str, strict: bool | None = None) -> Callable[..., Any]:
    """The model builder registered as ``name`` (e.g. ``"vgg16"``), imported on first use;
    :class:`ModelNotFoundError` lists close matches for an unknown name."""
    return BUILDERS.get(name, strict=strict)


def available_models(load: bool = False, strict: bool | None = None) -> list[PluginInfo]:
    """Every declared model builder (name, function path, distribution, version, status),
    without importing them unless ``load=True``."""
    return BUILDERS.available(load=load, strict=strict)


def model_failures() -> dict[str, str]:
    """Builder name -> one-line error for broken or colliding model plugins seen so far."""
    return BUILDERS.failures()


__all__ = ["GROUP", "BUILDERS", "get_builder", "available_models", "model_failures",
           "from_file", "build_from_spec", "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "CONFIGS", "make_features",
           "init_vgg_weights", "ModelNotFoundError"]
