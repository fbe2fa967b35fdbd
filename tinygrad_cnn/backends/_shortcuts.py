"""Named shortcuts over the two parametrised elementwise kernels, derived once for every backend.

A backend implements ``unary(op, a, param)`` and ``binary(op, a, b, param)``; :func:`install`
adds ``add(a, b)`` = ``binary("add", a, b)``, ``relu(a)`` = ``unary("relu", a)``,
``leaky_relu(a, slope)`` = ``unary("leaky_relu", a, slope)`` and so on for every name of
:data:`.api.UNARY_OPS` and :data:`.api.BINARY_OPS` to the backend package. A shortcut looks up
the package's kernel at call time, so wrapping ``be.binary`` (a profiler) sees every call.

Example:
    >>> import numpy as np
    >>> import tinygrad_cnn.backends.cpu as be
    >>> a, b = np.float32([3.0]), np.float32([1.0])
    >>> be.sub(a, b), be.binary("sub", a, b)
    (array([2.], dtype=float32), array([2.], dtype=float32))
"""
from __future__ import annotations

import sys
from typing import Any, Callable

from .api import BINARY_OPS, UNARY_OPS

__all__ = ["install"]


def _shortcut(module: Any, kernel: str, op: str) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return getattr(module, kernel)(op, *args)
    call.__name__ = call.__qualname__ = op
    call.__doc__ = f"``{kernel}({op!r}, ...)``, see :meth:`.api.Backend.{kernel}`."
    return call


def install(namespace: dict[str, Any]) -> None:
    """Define a shortcut for every unary and binary op in a backend package's ``namespace``
    (its ``globals()``, the package already in ``sys.modules``).

    Example:
        >>> import numpy as np
        >>> import tinygrad_cnn.backends.cpu as be
        >>> be.relu.__name__, be.leaky_relu(np.float32([-2.0]), 0.5).tolist()
        ('relu', [-1.0])
    """
    module = sys.modules[namespace["__name__"]]
    for kernel, ops in (("unary", UNARY_OPS), ("binary", BINARY_OPS)):
        for op in ops:
            namespace[op] = _shortcut(module, kernel, op)
