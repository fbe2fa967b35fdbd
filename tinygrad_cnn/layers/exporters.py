"""ONNX exporters that plugins supply for their layers, found through the entry-point group
``tinygrad_cnn.onnx_exporters`` (``<layer name> = package.module:function``).

An exporter is ``function(ctx, layer, x, sample) -> output name``: ``ctx`` is the graph
being built (:class:`tinygrad_cnn.interop.onnx_graph.OnnxGraph`: ``ctx.node``,
``ctx.weight``, ``ctx.constant``), ``x`` the name of the layer's input in the graph and
``sample`` the input as a tensor for one image (its shape and dtype). The built-in layers'
exporters live in :mod:`tinygrad_cnn.interop.onnx_layers`; :func:`register_exporter` adds one
in-process (it wins over an entry point).

Example:
    >>> from tinygrad_cnn.layers import exporters
    >>> exporters.find_exporter("NoSuchLayer") is None
    True
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import LayerNotFoundError
from .registry import EntryPointRegistry

GROUP = "tinygrad_cnn.onnx_exporters"

Exporter = Callable[..., str]


def _is_exporter(obj: Any) -> str | None:
    return None if callable(obj) else f"expected a callable ONNX exporter, got {obj!r}"


EXPORTERS = EntryPointRegistry(GROUP, kind="ONNX exporter", validate=_is_exporter,
                               not_found=LayerNotFoundError)
_registered: dict[str, Exporter] = {}


def register_exporter(layer_name: str, exporter: Exporter) -> None:
    """Use ``exporter`` for the layer registered as ``layer_name`` in this process.

    Example:
        >>> register_exporter("MyLayer", lambda ctx, layer, x, sample: ctx.node("Relu", [x]))
        >>> find_exporter("MyLayer") is not None
        True
        >>> unregister_exporter("MyLayer")
    """
    if not isinstance(layer_name, str) or not layer_name or not callable(exporter):
        raise TypeError("register_exporter: expected a layer name and a callable, got "
                        f"{layer_name!r}, {exporter!r}")
    _registered[layer_name] = exporter


def unregister_exporter(layer_name: str) -> None:
    """Forget an exporter added by :func:`register_exporter` (no error when absent)."""
    _registered.pop(layer_name, None)


def find_exporter(layer_name: str) -> Exporter | None:
    """The plugin exporter for ``layer_name`` (in-process first, then the entry-point group),
    or None when no one supplies one. A declared exporter that fails to import raises
    ``PluginError`` naming it."""
    if layer_name in _registered:
        return _registered[layer_name]
    if layer_name not in EXPORTERS.names():
        return None
    return EXPORTERS.get(layer_name)
