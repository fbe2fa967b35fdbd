"""CUDA backend: Numba device arrays and ``numba-cuda`` kernels.

Every name of :data:`tinygrad_cnn.backends.api.KERNEL_NAMES` is defined here (and the
elementwise shortcuts of :mod:`.._shortcuts`). Importing this package never touches the driver
(kernels compile lazily, on first launch);
:func:`ensure_available` says in one line why the GPU cannot be used. With
``NUMBA_ENABLE_CUDASIM=1`` set before Numba is imported, everything runs on Numba's CUDA
simulator (slow, for tests).
"""
from __future__ import annotations

_IMPORT_ERROR: BaseException | None = None
try:
    from .array import *  # noqa: F401,F403
    from .elementwise import *  # noqa: F401,F403
    from .reduce import *  # noqa: F401,F403
    from .movement import *  # noqa: F401,F403
    from .matmul import *  # noqa: F401,F403
    from .conv import *  # noqa: F401,F403
    from .pool import *  # noqa: F401,F403
    from .norm import *  # noqa: F401,F403
    from .loss import *  # noqa: F401,F403
    from .random import *  # noqa: F401,F403
    from .optim import *  # noqa: F401,F403
    from .sort import *  # noqa: F401,F403
    from .scan import *  # noqa: F401,F403
    from .index import *  # noqa: F401,F403
    from .compare import *  # noqa: F401,F403
    # last: integer/bool wrappers replace the hub-dtype kernels' names above
    from .intmath import *  # noqa: F401,F403
    from .._shortcuts import install as _install_shortcuts
    _install_shortcuts(globals())
except ImportError as exc:  # numba without a CUDA target: reported by ensure_available()
    _IMPORT_ERROR = exc

from ...errors import one_line  # noqa: E402 - after the kernels, which may fail to import

DEVICE = "cuda"
_HINT = "install the 'cuda' extra (numba-cuda) on a machine with an NVIDIA GPU, or use `device=cpu`"


def unavailable_reason() -> str | None:
    """``None`` when kernels can run (a GPU, or the simulator), else a one-line reason."""
    if _IMPORT_ERROR is not None:
        return f"cannot import the CUDA target ({_IMPORT_ERROR})"
    from numba import cuda
    if getattr(cuda, "implementation", "") != "NVIDIA":
        return "the numba-cuda package is not installed (numba's built-in CUDA target is retired)"
    try:
        if cuda.is_available():
            return None
        cuda.current_context()  # raises with the driver's own explanation
    except Exception as exc:  # noqa: BLE001 - any driver failure is the answer we want
        return _driver_reason(str(exc)) or type(exc).__name__
    return "no CUDA-capable device was found"


def _driver_reason(message: str) -> str:
    lines = message.splitlines()
    lines = [ln for ln in lines if not ln.strip().startswith("Error at driver init")] or lines
    return one_line("\n".join(lines)).rstrip(":.").strip()


def ensure_available() -> None:
    """Raise a one-line ``RuntimeError`` unless a usable GPU (or the simulator) is present.

    Example:
        >>> import tinygrad_cnn.backends.cuda as be
        >>> try:
        ...     be.ensure_available()
        ... except RuntimeError as e:
        ...     assert "\\n" not in str(e)
    """
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"CUDA requested but no usable GPU: {reason}; {_HINT}")
