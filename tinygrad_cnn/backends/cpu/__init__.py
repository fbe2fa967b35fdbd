"""CPU backend: numpy arrays, Numba-compiled kernels where numpy alone is slow.

Every name of :data:`tinygrad_cnn.backends.api.KERNEL_NAMES` is defined here, and the
elementwise shortcuts of :mod:`.._shortcuts`.
"""
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

from .._shortcuts import install as _install_shortcuts
from ._memory import keep_freed_memory as _keep_freed_memory

_install_shortcuts(globals())
_keep_freed_memory()
DEVICE = "cpu"
