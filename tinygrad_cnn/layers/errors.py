"""Exceptions and warnings of the plugin registry and of layer configurations.

Every message is one line and names what to do next.
"""
from __future__ import annotations

from ..errors import USAGE, TinygradCNNError


class PluginError(TinygradCNNError, RuntimeError):
    """A plugin could not be used: it failed to import, is not the right kind of object, or
    (in strict mode) some installed plugin is broken."""


class PluginCollisionError(PluginError):
    """Two distributions register the same name in one entry-point group."""


class PluginWarning(UserWarning):
    """A plugin failed to import; the other plugins keep working (non-strict mode)."""


class LayerNotFoundError(TinygradCNNError, LookupError):
    """No registered layer type has the requested name (e.g. a checkpoint names a layer of a
    plugin that is not installed)."""


class ModelNotFoundError(TinygradCNNError, LookupError):
    """No registered model builder has the requested name."""

    kind = USAGE


class ConfigError(TinygradCNNError, ValueError):
    """A layer configuration (or model file) is malformed or has bad arguments."""


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


def argument_problem(obj: object, args: dict) -> str | None:
    """What is wrong with calling ``obj(**args)``: unknown names first (with close matches,
    since they are usually typos), then missing required arguments; None if it binds."""
    import difflib
    import inspect
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    params = signature.parameters
    named = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [a for a in args if a not in named]
        if unknown:
            hints = []
            for a in unknown:
                close = difflib.get_close_matches(a, named, n=1)
                hints.append(f"'{a}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            return f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(hints)}"
    try:
        signature.bind(**args)
    except TypeError as exc:
        return str(exc)
    return None
