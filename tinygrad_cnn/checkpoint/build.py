"""Build a checkpoint's model from its configuration, its layer types found only through the
``tinygrad_cnn.layers`` registry; a missing or broken plugin is one line that says which
plugin the file records and what to install."""
from __future__ import annotations

from typing import Any

from ..errors import one_line
from .errors import CheckpointError
from .save import layer_types

__all__ = ["build_model_of"]


def _shown(text: str, limit: int = 60) -> str:
    """A name recorded in the file, shown as quoted data (never as a command to run)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def build_model_of(config: dict[str, Any], plugins: dict[str, dict[str, Any]], label: str) -> Any:
    """The model of ``config`` (a checkpoint's model JSON), its layer types found only through
    the registry; ``plugins`` is the file's record of which distribution provided each type
    and ``label`` names the file in errors.

    Example:
        >>> from tinygrad_cnn import layers, nn
        >>> config = layers.to_config(nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
        >>> build_model_of(config, {}, "model.h5")
        Sequential(...)
        >>> config["layers"][1]["type"] = "Swish9"
        >>> build_model_of(config, {"Swish9": {"distribution": "tgcnn-swish"}}, "model.h5")
        Traceback (most recent call last):
            ...
        tinygrad_cnn.checkpoint.errors.CheckpointError: model.h5 needs layer type 'Swish9',
        which no installed plugin provides; the file records it as coming from the distribution
        'tgcnn-swish': install the plugin that defines it (check its name and source first) and
        load it again
    """
    from .. import layers

    registered = set(layers.names())
    missing = sorted(layer_types(config) - registered)
    if missing:
        raise _missing_plugin(label, missing[0], plugins)
    try:
        return layers.from_config(config)
    except layers.LayerNotFoundError as err:
        unknown = sorted(layer_types(config) - set(layers.names())) or ["?"]
        raise _missing_plugin(label, unknown[0], plugins, one_line(err)) from None
    except layers.PluginError as err:
        raise CheckpointError(f"{label}: a plugin its model needs is installed but unusable: "
                              f"{one_line(err)}") from None
    except (layers.ConfigError, TypeError, ValueError) as err:
        raise CheckpointError(f"{label}: its model configuration cannot be built "
                              f"({one_line(err)}){_version_note(plugins)}") from None


def _missing_plugin(label: str, kind: str, plugins: dict[str, dict[str, Any]],
                    detail: str = "") -> CheckpointError:
    source = plugins.get(kind) or {}
    dist, version = source.get("distribution"), source.get("version")
    if isinstance(dist, str) and dist:
        at = f", version {_shown(version, 30)}" if isinstance(version, str) and version else ""
        return CheckpointError(f"{label} needs layer type {_shown(kind)}, which no installed "
                               f"plugin provides; the file records it as coming from the "
                               f"distribution {_shown(dist)}{at}: install the plugin that "
                               "defines it (check its name and source first) and load it again")
    if not detail:
        from .. import layers
        detail = layers.LAYERS.unknown_message(kind)  # close matches, installed plugins
    return CheckpointError(f"{label} needs layer type {_shown(kind)}, which no installed plugin "
                           f"provides and the file does not say which does ({detail}): "
                           "install the plugin that defines it")


def _version_note(plugins: dict[str, dict[str, Any]]) -> str:
    """Recorded plugin versions that differ from the installed ones (a likely cause)."""
    from .. import layers

    installed = {row.name: row.version for row in layers.available()}
    notes = [f"{kind} was saved with {src.get('distribution')} {src.get('version')}, "
             f"installed {installed[kind]}" for kind, src in sorted(plugins.items())
             if kind in installed and src.get("version") not in (None, installed[kind])]
    return f"; {'; '.join(notes)}" if notes else "; the file may be damaged"
