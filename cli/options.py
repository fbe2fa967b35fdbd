"""Shared option types and callbacks: ``--config`` files, ``--data`` specs, ``--model`` names,
``--device``, input sizes. Each turns a bad value into a one-line usage error (exit 2).

Example:
    >>> parse_input_size("3x32x32"), parse_input_size("28")
    ((3, 32, 32), (28, 28))
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Options from a JSON or YAML file: a flat object of option names (dashes or
    underscores), or such an object under a ``"train"`` key.

    Example:
        >>> import tempfile; p = Path(tempfile.mkdtemp()) / "run.json"
        >>> _ = p.write_text('{"epochs": 3, "batch-size": 32}')
        >>> read_config_file(p)
        {'epochs': 3, 'batch_size': 32}
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise click.BadParameter(f"cannot read {path}: {getattr(err, 'strerror', None) or err}",
                                 param_hint="'--config'") from None
    from tinygrad_cnn.checkpoint.safety import MAX_JSON_DEPTH, json_depth

    try:
        data = _parse(path, text)
    except RecursionError:
        data = None
        deep = True
    else:
        deep = json_depth(data) > MAX_JSON_DEPTH
    if deep:
        raise click.BadParameter(f"{path}: lists or objects nest more than {MAX_JSON_DEPTH} deep; "
                                 "a config file is one object of option names and values",
                                 param_hint="'--config'")
    if isinstance(data, dict) and isinstance(data.get("train"), dict) and len(data) == 1:
        data = data["train"]
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path}: expected an object of option names and values, got "
                                 f"{type(data).__name__}", param_hint="'--config'")
    return {str(k).replace("-", "_").lstrip("_"): v for k, v in data.items()}


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise click.BadParameter(f"{path}: reading YAML needs PyYAML (pip install pyyaml); "
                                     f"or write the options as JSON",
                                     param_hint="'--config'") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise click.BadParameter(f"{path}: invalid YAML: {' '.join(str(err).split())}",
                                     param_hint="'--config'") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise click.BadParameter(f"{path}: invalid JSON at line {err.lineno} column "
                                     f"{err.colno}: {err.msg}", param_hint="'--config'") from None
    return data


def config_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Eager ``--config`` callback: fill ``ctx.default_map`` so that the file's values become
    the defaults (the command line still wins). Unknown names are usage errors."""
    if value is None:
        return None
    values = read_config_file(value)
    known = {p.name for p in ctx.command.params if p.name and p.name not in ("config", "help")}
    unknown = sorted(set(values) - known)
    if unknown:
        raise click.BadParameter(f"{value}: unknown option(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(sorted(known))}", param_hint="'--config'")
    ctx.default_map = {**(ctx.default_map or {}), **values}
    return value


def data_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a ``--data`` spec up front: known kind, and an existing path for ``KIND:PATH``."""
    if value is None:
        return None
    from tinygrad_cnn.data import DataError, parse_spec

    try:
        kind, path = parse_spec(value)
    except DataError as err:
        raise click.BadParameter(str(err)) from None
    if path is not None and not Path(path).expanduser().exists():
        raise click.BadParameter(f"{path} does not exist; {kind.usage} expects {kind.files}")
    return value


def model_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check ``--model`` up front: an existing model file, or a registered builder name (an
    unknown name lists close matches)."""
    if value is None:
        return None
    from tinygrad_cnn.training.config import is_model_file

    if is_model_file(value):
        if not Path(value).is_file():
            raise click.BadParameter(f"model file {value} does not exist; pass an existing "
                                     f"JSON/YAML file or a builder name such as vgg11_bn")
        return value
    from tinygrad_cnn import models
    from tinygrad_cnn.layers import ModelNotFoundError, PluginError

    try:
        models.get_builder(value)
    except ModelNotFoundError as err:
        raise click.BadParameter(" ".join(str(err.args[0] if err.args else err).split())) from None
    except PluginError:
        pass  # a broken plugin builder: reported with its error when the model is built
    return value


def device_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--device cuda`` without a usable GPU is a usage error naming the reason."""
    if value is None:
        return None
    from tinygrad_cnn.training import OptionError
    from tinygrad_cnn.training.checks import check_device

    try:
        return check_device(value)
    except OptionError as err:
        raise click.BadParameter(err.detail) from None


_SIZE = re.compile(r"^\s*(\d+)(?:\s*[x,×]\s*(\d+))?(?:\s*[x,×]\s*(\d+))?\s*$")


def parse_input_size(text: str) -> tuple[int, ...]:
    """``C,H,W`` / ``CxHxW`` -> (C, H, W); ``H,W`` -> (H, W); ``S`` -> (S, S).

    Example:
        >>> parse_input_size("1,28,28")
        (1, 28, 28)
    """
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a size; write C,H,W (e.g. 3,32,32), H,W or one number")
    parts = tuple(int(g) for g in m.groups() if g is not None)
    if any(p < 1 for p in parts):
        raise ValueError(f"sizes must be positive, got {text!r}")
    return parts if len(parts) != 1 else (parts[0], parts[0])


class InputSize(click.ParamType):
    """click type for ``--input-size``."""

    name = "C,H,W"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        try:
            return parse_input_size(value)
        except ValueError as err:
            self.fail(str(err), param, ctx)


def explicit(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` was given by the user (command line, environment or
    ``--config``) rather than left at its default."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,
                                              ParameterSource.ENVIRONMENT,
                                              ParameterSource.DEFAULT_MAP)


def _max_data_bytes_callback(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    if value is not None:
        from tinygrad_cnn.data.limits import set_max_data_bytes

        set_max_data_bytes(value)


#: ``--max-data-bytes``: how large one array of a dataset file may declare itself
max_data_bytes_option = click.option(
    "--max-data-bytes", type=click.IntRange(min=1), default=None, expose_value=False,
    callback=_max_data_bytes_callback, metavar="BYTES",
    help="Refuse dataset arrays (npz, h5, gzip files) declaring more bytes than this, before "
         "reading them [default: 4 GiB, or TGCNN_MAX_DATA_BYTES].")


#: ``--allow-nonfinite``: load a checkpoint whose weights hold NaN/Inf (to inspect a diverged run)
allow_nonfinite_option = click.option(
    "--allow-nonfinite", is_flag=True, default=False,
    help="Load the checkpoint even if its weights hold NaN or Inf (refused by default).")
