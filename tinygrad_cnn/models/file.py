"""Models described in a JSON (or, when PyYAML is installed, YAML) file.

Accepted shapes of the document:

* a list of layer configurations -> a ``Sequential`` of them;
* ``{"layers": [...]}`` -> the same;
* a full layer configuration ``{"type": ..., "args": {...}, "layers": [...]}``;
* ``{"builder": "vgg11", "args": {...}}`` -> a registered model builder called with ``args``.

A layer configuration is ``{"type": "<registered layer name>", "args": {...}}`` (see
:mod:`tinygrad_cnn.layers.config`); any layer of the ``tinygrad_cnn.layers`` entry-point
group, plugins included, may appear.

Example (``small.json``)::

    [{"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 8, "kernel_size": 3}},
     {"type": "ReLU"}, {"type": "Flatten"},
     {"type": "Linear", "args": {"in_features": 5408, "out_features": 10}}]

    >>> import json, tempfile; from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "small.json"
    >>> _ = path.write_text(json.dumps([
    ...     {"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 8, "kernel_size": 3}},
    ...     {"type": "ReLU"}, {"type": "Flatten"},
    ...     {"type": "Linear", "args": {"in_features": 5408, "out_features": 10}}]))
    >>> model = from_file(path)
    >>> [type(layer).__name__ for layer in model], model[3].weight.shape
    (['Conv2d', 'ReLU', 'Flatten', 'Linear'], (10, 5408))
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

from ..layers.config import from_config
from ..errors import one_line
from ..layers.errors import (ConfigError, ModelNotFoundError, PluginError, argument_problem,
                             signature_text)
from ..nn.module import Module


#: deepest nesting of lists/objects a model file may have (real ones have a handful)
MAX_DEPTH = 64


def _parse(path: str, text: str) -> Any:
    from ..checkpoint.safety import json_depth

    try:
        value = _parse_text(path, text)
    except RecursionError:
        value, depth = None, MAX_DEPTH + 1
    else:
        depth = json_depth(value)
    if depth > MAX_DEPTH:
        raise ConfigError(f"{path}: lists or objects nest more than {MAX_DEPTH} deep; a model "
                          "file is a list of layers, each with its arguments")
    return value


def _parse_text(path: str, text: str) -> Any:
    if path.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise ConfigError(f"{path}: reading YAML needs PyYAML (pip install pyyaml); or "
                              f"write the model as JSON") from None
        try:
            return yaml.safe_load(text)  # safe_load: plain data only, never objects or code
        except yaml.YAMLError as exc:
            raise ConfigError(one_line(f"{path}: invalid YAML: {exc}")) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}") from None


def build_from_spec(spec: Any, source: str = "model") -> Module:
    """Build a model from an already parsed document (see the module docstring)."""
    if isinstance(spec, list):
        spec = {"type": "Sequential", "layers": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{source}: expected a list of layers or an object, got "
                          f"{type(spec).__name__}")
    if "builder" in spec:
        return _from_builder(spec, source)
    if "type" not in spec and "layers" in spec:
        spec = {"type": "Sequential", **spec}
    return from_config(spec, path=source)


def _from_builder(spec: Mapping[str, Any], source: str) -> Module:
    from . import get_builder
    extra = sorted(set(spec) - {"builder", "args"})
    if extra:
        raise ConfigError(f"{source}: unknown keys {extra} next to \"builder\" (expected "
                          f"\"builder\" and \"args\")")
    name, args = spec["builder"], spec.get("args") or {}
    if not isinstance(name, str) or not isinstance(args, Mapping):
        raise ConfigError(f"{source}: \"builder\" must be a name and \"args\" an object")
    try:
        builder = get_builder(name)
    except (ModelNotFoundError, PluginError) as exc:
        raise type(exc)(f"{source}: {exc}") from None
    problem = argument_problem(builder, dict(args))
    if problem:
        raise ConfigError(one_line(f"{source} (builder {name}): bad args: {problem}; {name} "
                                   f"takes {signature_text(builder)}"))
    try:
        model = builder(**args)
    except (TypeError, ValueError) as exc:
        raise ConfigError(one_line(f"{source} (builder {name}): bad args {dict(args)}: {exc}")) \
            from None
    if not isinstance(model, Module):
        raise PluginError(f"{source}: model builder {name!r} returned "
                          f"{type(model).__name__}, not a Module")
    return model


def from_file(path: str | os.PathLike[str]) -> Module:
    """Build the model described in the JSON/YAML file at ``path``.

    Every error is one line naming the file and the place in it: :class:`ConfigError` for bad
    JSON/YAML, malformed entries or bad arguments, :class:`LayerNotFoundError` for an unknown
    layer (with close matches and the installed plugin distributions).
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the model file: {exc.strerror or exc}") from None
    return build_from_spec(_parse(path, text), source=path)

