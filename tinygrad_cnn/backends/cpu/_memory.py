"""Keep freed array memory in the process for the next step (glibc's malloc only).

A training step allocates and frees the same ~100 MB of arrays every time. By default glibc
hands large freed blocks back to the kernel (a moving mmap threshold, heap trimming), and
whether it does depends on the order earlier blocks were freed in; each page of the next
step's arrays then faults in again, zero-filled, at ~0.4 ms per MB on the VM this was
measured on. A VGG-11 CIFAR step (batch 32) swung between ~100 and ~2,300 page faults per
step, up to 30 ms of system time, from run to run; with the mmap threshold fixed at its
largest value (32 MB) and trimming only above 1 GB it takes 3. The settings are process-wide
(another library in the process, PyTorch included, gets the same reuse); the memory stays
with the process, as with PyTorch's caching allocators. ``TGCNN_KEEP_FREED_MEMORY=0`` leaves
malloc as it is.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
_MMAP_THRESHOLD = 32 << 20  # glibc refuses more on 64-bit systems (half its heap size)
_TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Set the malloc thresholds (again: no change); ``True`` when they are set (glibc, and
    ``TGCNN_KEEP_FREED_MEMORY`` not ``0``). The CPU backend calls it when it is imported.

    Example:
        >>> isinstance(keep_freed_memory(), bool)
        True
    """
    if os.environ.get("TGCNN_KEEP_FREED_MEMORY", "1").strip() == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    mallopt.restype, mallopt.argtypes = ctypes.c_int, [ctypes.c_int, ctypes.c_int]
    # mmap threshold first: setting only the trim threshold would freeze the mmap threshold
    # at its 128 kB default and send every array through mmap (measured: 54,000 faults/step)
    if mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) != 1:
        return False
    return mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
