"""Exceptions and warnings of the plugin registry and of layer configurations.

Every message is one line and names what to do next.
"""
from __future__ import annotations


class PluginError(RuntimeError):
    """A plugin could not be used: it failed to import, is not the right kind of object, or
    (in strict mode) some installed plugin is broken."""


class PluginCollisionError(PluginError):
    """Two distributions register the same name in one entry-point group."""


class PluginWarning(UserWarning):
    """A plugin failed to import; the other plugins keep working (non-strict mode)."""


class LayerNotFoundError(LookupError):
    """No registered layer has the requested name."""


class ModelNotFoundError(LookupError):
    """No registered model builder has the requested name."""


class ConfigError(ValueError):
    """A layer configuration (or model file) is malformed or has bad arguments."""


def one_line(text: str) -> str:
    """Collapse whitespace so that a message (e.g. a multi-line import error) fits one line."""
    return " ".join(str(text).split())


def signature_text(obj: object) -> str:
    """``(a, b, c=1)``: a callable's parameters without annotations, for error messages."""
    import inspect
    try:
        params = inspect.signature(obj).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "(...)"
    parts = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.default is p.empty:
            parts.append(p.name)
        else:
            parts.append(f"{p.name}={p.default!r}")
    return f"({', '.join(parts)})"
