"""The dropout mask's counter-based hash, shared by the CPU and CUDA kernels so that one seed
gives the same mask on every device.

Element ``i`` draws ``splitmix64(key + (i + 1) * GOLDEN)`` where ``key`` is derived from the
seed: no generator state and no per-thread streams, so the mask does not depend on the thread
count or the launch shape. The top 24 bits form an integer ``u`` in ``[0, 2**24)``; the element
is dropped when ``u < ceil(p * 2**24)``, an exact integer test.

Example:
    >>> key, threshold, keep = mask_params(0.5, seed=0)
    >>> threshold, keep
    (8388608, 2.0)
"""
from __future__ import annotations

import math

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
BITS = 24


def splitmix64(z: int) -> int:
    """One step of the splitmix64 generator on a Python int (mod 2**64)."""
    z = (z + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * M1) & MASK64
    z = ((z ^ (z >> 27)) * M2) & MASK64
    return z ^ (z >> 31)


def mask_params(p: float, seed: int) -> tuple[int, int, float]:
    """``(key, threshold, keep)`` of the mask for drop probability ``p`` and ``seed``."""
    p = float(p)
    threshold = min(1 << BITS, max(0, math.ceil(p * (1 << BITS))))
    keep = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    # splitmix64 of the seed minus one step, so that element i gets state key + (i+1)*GOLDEN.
    key = (splitmix64(int(seed) & MASK64) - GOLDEN) & MASK64
    return key, threshold, keep
