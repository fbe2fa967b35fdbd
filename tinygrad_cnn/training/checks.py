"""Checks of a run's device and output path, before any time is spent on data or kernels."""
from __future__ import annotations

import os
from pathlib import Path

from .config import OptionError


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
        msg = " ".join(str(err).split())
        raise OptionError("device", f"{device} is not usable ({msg})") from None
    return name


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
                                 f"choose another --out") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OptionError("out", f"the folder {folder} is not writable; choose another --out")
    if p.exists() and not os.access(p, os.W_OK):
        raise OptionError("out", f"{p} exists and is not writable; choose another --out")
    return p
