"""tinygrad-cnn: a small, fast deep-learning framework for convolutional image classifiers.

Example:
    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, -2.0]], requires_grad=True)
    >>> x.relu().sum().backward()
    >>> x.grad.numpy()
    array([[1., 0.]], dtype=float32)
"""
import os as _os

# Idle OpenBLAS/OpenMP threads spin after a BLAS call and halve the speed of the Numba kernel
# that follows (REFERENCE.md §2); these only take effect before numpy is first imported.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
_os.environ.setdefault("GOMP_SPINCOUNT", "0")

from .autograd import Function, enable_grad, is_grad_enabled, no_grad  # noqa: E402
from .creation import (arange, eye, from_numpy, full, full_like, linspace, ones,  # noqa: E402
                       ones_like, rand, randn, zeros, zeros_like)
from .random import get_rng_state, manual_seed, set_rng_state  # noqa: E402
from .tensor import Tensor  # noqa: E402
from . import tensor  # noqa: E402  (a callable module: tg.tensor(data) is the factory)
from .functions import cat, stack, where  # noqa: E402
from .dtypes import (bool_, float32, float64, int8, int16, int32, int64,  # noqa: E402
                     uint8)
from .summary import summary  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "zeros", "ones",
           "full", "randn", "rand", "arange", "manual_seed", "get_rng_state", "set_rng_state",
           "summary", "__version__", "tensor", "cat", "stack", "where", "zeros_like",
           "ones_like", "full_like", "eye", "from_numpy", "linspace", "bool_", "uint8", "int8",
           "int16", "int32", "int64", "float32", "float64"]
