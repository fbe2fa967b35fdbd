"""Backend selection: a device name maps to a module of kernels fulfilling :mod:`.api`.

Example:
    >>> from tinygrad_cnn.backends import get_backend
    >>> get_backend("cpu").__name__
    'tinygrad_cnn.backends.cpu'
"""
from __future__ import annotations

import importlib
from types import ModuleType

DEVICES = ("cpu", "cuda")
_loaded: dict[str, ModuleType] = {}


def normalize_device(device: str) -> str:
    """Map ``"cpu"``, ``"cuda"`` or ``"cuda:0"`` to a backend name, or raise ``ValueError``."""
    name = str(device).split(":", 1)[0].lower()
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {', '.join(DEVICES)}")
    return name


def get_backend(device: str) -> ModuleType:
    """Return the kernel module of ``device``, importing it on first use.

    CUDA raises a one-line ``RuntimeError`` when no usable GPU (or simulator) is present.
    """
    name = normalize_device(device)
    module = _loaded.get(name)
    if module is None:
        module = importlib.import_module(f"{__name__}.{name}")
        if name == "cuda":
            module.ensure_available()
        _loaded[name] = module
    return module
