"""Checks of a run's device, model and output path, before any time is spent on data or
kernels. They are the one home of these rules: the CLI calls them (or :func:`train`, which
calls them) and shows their :class:`OptionError` under the flag of the argument it names."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import OptionError, one_line
from .config import is_model_file


def check_device(device: str) -> str:
    """Normalise ``device`` and make sure it is usable (``cuda`` needs a GPU), else
    :class:`OptionError`.

    Example:
        >>> check_device("CPU")
        'cpu'
    """
    from ..backends import get_backend, normalize_device

    try:
        name = normalize_device(device)
        get_backend(name)
    except (ValueError, RuntimeError, ImportError) as err:
        msg = one_line(err)
        raise OptionError("device", f"{device} is not usable ({msg})") from None
    return name


def check_model(model: str) -> None:
    """An existing JSON/YAML model file or a registered builder name (``vgg11_bn``), else
    :class:`OptionError` (a missing file) or ``ModelNotFoundError`` naming close matches (both
    about the argument ``model``). A builder of a broken plugin passes: it is reported with
    its error when the model is built.

    Example:
        >>> check_model("vgg11_bn")
        >>> check_model("no-such.json")
        Traceback (most recent call last):
        ...
        tinygrad_cnn.errors.OptionError: model: model file no-such.json does not exist; pass an existing JSON/YAML file or a builder name such as vgg11_bn
    """
    if is_model_file(model):
        if not Path(model).is_file():
            raise OptionError("model", f"model file {model} does not exist; pass an existing "
                                       f"JSON/YAML file or a builder name such as vgg11_bn")
        return
    from .. import models
    from ..layers import ModelNotFoundError, PluginError

    try:
        models.get_builder(model)
    except ModelNotFoundError as err:
        err.argument = "model"
        raise
    except PluginError:
        pass


def check_output(path: str | os.PathLike[str]) -> Path:
    """Make sure a checkpoint can be written at ``path``: its folder exists (it is created) and
    is writable, and ``path`` is not a folder; else :class:`OptionError`.

    Example:
        >>> check_output("runs/model.h5").name
        'model.h5'
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise OptionError("out", f"{p} is a folder; pass a file name such as {p / 'model.h5'}")
    folder = p.parent if str(p.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OptionError("out", f"cannot create the folder {folder} ({err.strerror or err}); "
                                 f"choose another `out=`") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OptionError("out", f"the folder {folder} is not writable; choose another `out=`")
    if p.exists() and not os.access(p, os.W_OK):
        raise OptionError("out", f"{p} exists and is not writable; choose another `out=`")
    return p
