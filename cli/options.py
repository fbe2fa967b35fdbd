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

from tinygrad_cnn.errors import one_line


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
            raise click.BadParameter(f"{path}: invalid YAML: {one_line(err)}",
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
    """``--model`` checked up front by the library (an existing model file, or a registered
    builder name: an unknown one lists close matches); its error names the flag."""
    if value is not None:
        from tinygrad_cnn.training.checks import check_model

        check_model(value)
    return value


def device_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--device`` checked up front by the library (``cuda`` without a usable GPU: a usage
    error naming the reason)."""
    if value is None:
        return None
    from tinygrad_cnn.training.checks import check_device

    return check_device(value)


def device_option(default: str = "cpu", help: str = "Where to run.", check: bool = True) -> Any:
    """``--device``: one of the library's devices; with ``check``, checked up front
    (:func:`device_callback`), else left to the library function the command calls."""
    from tinygrad_cnn.backends import DEVICES

    return click.option("--device", type=click.Choice(list(DEVICES), case_sensitive=False),
                        default=default, show_default=True,
                        callback=device_callback if check else None, help=help)


class LibraryChoice(click.Choice):
    """A ``click.Choice`` whose choices are a library constant, read when first needed (so
    that naming them does not import the models at start-up).

    Example:
        >>> LibraryChoice(lambda: ("a", "b")).choices
        ('a', 'b')
    """

    def __init__(self, load: Any, case_sensitive: bool = True) -> None:
        self._load = load
        super().__init__((), case_sensitive)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(self._load())

    @choices.setter
    def choices(self, value: Any) -> None:  # click's __init__ sets it: the library decides
        pass


def _vgg_heads() -> tuple[str, ...]:
    from tinygrad_cnn.models.vgg import HEADS

    return HEADS


def head_choice() -> click.Choice:
    """The classifier heads of the VGG builders (``--head``).

    Example:
        >>> head_choice().choices
        ('imagenet', 'small')
    """
    return LibraryChoice(_vgg_heads)


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
