"""The dropout mask's counter-based hash, shared by the CPU and CUDA kernels so that one seed
gives the same mask on every device.

Element ``i`` draws ``splitmix64(key + (i + 1) * GOLDEN)`` where ``key`` is derived from the
seed: no generator state and no per-thread streams, so the mask does not depend on the thread
count or the launch shape. The top 24 bits form an integer ``u`` in ``[0, 2**24)``; the element
is dropped when ``u < ceil(p * 2**24)``, an exact integer test.

:func:`hash_bits` is that per-element rule written once in plain Python on ``uint64`` values:
the CPU backend compiles it with ``njit(inline="always")``, the CUDA backend as a device
function, and on numpy arrays it is the host reference the tests compare against.

Example:
    >>> key, threshold, keep = mask_params(0.5, seed=0)
    >>> threshold, keep
    (8388608, 2.0)
"""
from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
BITS = 24
# uint64 constants: frozen into the compiled kernels, and keep numpy arithmetic in uint64.
_GOLDEN, _M1, _M2 = np.uint64(GOLDEN), np.uint64(M1), np.uint64(M2)
_ONE, _S27, _S30, _S31 = np.uint64(1), np.uint64(27), np.uint64(30), np.uint64(31)
_SHIFT = np.uint64(64 - BITS)


def splitmix64(z: int) -> int:
    """One step of the splitmix64 generator on a Python int (mod 2**64)."""
    z = (z + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * M1) & MASK64
    z = ((z ^ (z >> 27)) * M2) & MASK64
    return z ^ (z >> 31)


def hash_bits(key, i):  # noqa: ANN001, ANN201 (uint64 scalars/arrays; compiled by both backends)
    """The top ``BITS`` bits of splitmix64 at counter ``i`` for ``key`` (all ``uint64``).

    Element ``i`` is kept when ``hash_bits(key, i) >= threshold``. Works on ``np.uint64``
    scalars, on ``uint64`` arrays (wrapping mod 2**64) and compiled for either device.

    Example:
        >>> i = np.arange(3, dtype=np.uint64)
        >>> bool(np.all(hash_bits(np.uint64(5), i) < 2 ** BITS))
        True
        >>> int(hash_bits(np.uint64(0), i)[0]) == splitmix64(0) >> (64 - BITS)
        True
    """
    z = key + (i + _ONE) * _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return z >> _SHIFT


def mask_params(p: float, seed: int) -> tuple[int, int, float]:
    """``(key, threshold, keep)`` of the mask for drop probability ``p`` and ``seed``."""
    p = float(p)
    threshold = min(1 << BITS, max(0, math.ceil(p * (1 << BITS))))
    keep = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    # splitmix64 of the seed minus one step, so that element i gets state key + (i+1)*GOLDEN.
    key = (splitmix64(int(seed) & MASK64) - GOLDEN) & MASK64
    return key, threshold, keep
