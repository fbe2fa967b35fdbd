"""In-place weight initialisers with PyTorch's names and formulas.

Samples come from the framework's generator (:func:`tinygrad_cnn.manual_seed` makes them
repeat) and are drawn directly in the tensor's dtype, so a 100 M-element float32 weight never
passes through a float64 copy.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn import init
    >>> w = tg.zeros(64, 3, 3, 3)
    >>> _ = init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")  # std sqrt(2/(64*9))
    >>> float(w.numpy().std()) < 0.1
    True
"""
from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

import numpy as np

from ..random import generator
from ..tensor import FLOAT_DTYPES, Tensor


_state = threading.local()


@contextlib.contextmanager
def skip_init() -> Iterator[None]:
    """Inside this block every initialiser leaves its tensor as it is (layers allocate
    zeros): for models whose weights are about to be loaded or re-initialised anyway.
    Drawing VGG-16's 138 M initial weights takes seconds; allocating them does not.

    Example:
        >>> from tinygrad_cnn.models import vgg16
        >>> with skip_init():
        ...     model = vgg16()            # all-zero weights, for load_state_dict()
        >>> float(model.classifier[0].weight.numpy().max())
        0.0
    """
    previous = getattr(_state, "skip", False)
    _state.skip = True
    try:
        yield
    finally:
        _state.skip = previous


def is_skipping() -> bool:
    """Whether initialisers are currently no-ops (inside :func:`skip_init`)."""
    return getattr(_state, "skip", False)


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.data = Tensor(values, dtype=tensor.dtype, device=tensor.device)
    return tensor


def _check(tensor: Tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{fn}: expected a float32/float64 tensor, got {tensor.dtype}")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation (``relu`` -> sqrt(2), ``tanh`` -> 5/3, ...)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: (in * receptive field, out * receptive field)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape "
                         f"{tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:], dtype=np.int64)) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    if is_skipping():
        return tensor
    u = generator().random(tensor.shape, dtype=tensor.dtype.type)
    u *= tensor.dtype.type(b - a)  # in place: no temporaries the size of a 100 M weight
    u += tensor.dtype.type(a)
    return _fill(tensor, u)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check(tensor, "normal_")
    if is_skipping():
        return tensor
    z = generator().standard_normal(tensor.shape, dtype=tensor.dtype.type)
    z *= tensor.dtype.type(std)
    z += tensor.dtype.type(mean)
    return _fill(tensor, z)


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with ``value``."""
    _check(tensor, "constant_")
    if is_skipping():
        return tensor
    return _fill(tensor, np.full(tensor.shape, value, dtype=tensor.dtype))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan). With ``a=sqrt(5)`` (PyTorch's
    default for Conv2d/Linear weights) b = 1 / sqrt(fan_in)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan) (torchvision's VGG conv init uses
    ``mode="fan_out", nonlinearity="relu"``)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def default_bias_(bias: Tensor, fan_in: int) -> Tensor:
    """PyTorch's default bias init for Conv2d/Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound)


def default_weight_and_bias_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default init of Conv2d and Linear: Kaiming-uniform weight (a = sqrt(5)) and
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias.

    Example:
        >>> from tinygrad_cnn import nn
        >>> layer = nn.Linear(4, 2)
        >>> default_weight_and_bias_(layer.weight, layer.bias)
    """
    kaiming_uniform_(weight, a=5 ** 0.5)
    if bias is not None:
        default_bias_(bias, calculate_fan_in_and_fan_out(weight)[0])
