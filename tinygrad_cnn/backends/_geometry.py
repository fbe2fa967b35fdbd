"""Device-independent window geometry shared by the nn layer and both kernel backends.

Plain Python on ints: kernels, ops and ``nn`` import it alike, so the output-size rule of a
convolution or pooling window is written once.

Example:
    >>> out_size(32, 3, stride=1, pad=1)
    32
"""
from __future__ import annotations

__all__ = ["out_size"]


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1,
             ceil_mode: bool = False) -> int:
    """Output length of one spatial axis of a convolution or pooling window (PyTorch's rule).

    ``floor((size + 2*pad - dilation*(kernel-1) - 1) / stride) + 1``; with ``ceil_mode`` the
    division rounds up, but the last window must still start inside the input or left padding.

    Example:
        >>> out_size(7, 3, stride=2, pad=0), out_size(7, 3, stride=2, pad=0, dilation=2)
        (3, 2)
        >>> out_size(6, 3, stride=2, pad=0), out_size(6, 3, stride=2, pad=0, ceil_mode=True)
        (2, 3)
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:   # the last window must start inside
        out -= 1
    return out
