"""Plumbing shared by the CUDA kernels: a kernel registry, launch helpers and dtype rules.

Every kernel is declared with :func:`kernel`, which records the argument-type signatures it
is meant to be compiled for (one per dtype). ``cuda.jit`` still compiles lazily, once per
signature, on first launch (and caches to disk), so importing this package needs no GPU; the
recorded signatures let a test compile every kernel to PTX without a GPU, and under the
simulator every launch checks that its arguments match one of them, which catches a stray
Python ``float`` (a float64 argument) or a non-contiguous array before it reaches a GPU.

Example:
    >>> from tinygrad_cnn.backends.cuda._common import KERNELS
    >>> all(k.signatures for k in KERNELS)
    True
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Sequence

import numba
import numpy as np
from numba import cuda
from numba.core import config, sigutils

SIMULATOR = bool(config.ENABLE_CUDASIM)
# The simulator runs one OS thread per CUDA thread (~0.5 ms each): small blocks keep tests fast.
# The kernels are the same code either way; only these compile-time constants differ.
THREADS = 32 if SIMULATOR else 256
TILE = 8 if SIMULATOR else 16
MAXDIM = 8
#: Numba type of the padded shape and stride tuples the kernels take (see :func:`padded`).
DIMS = f"UniTuple(int64, {MAXDIM})"
FLOATS = ("float32", "float64")
# Literal constructor for kernels: ``float32(0)`` is a float32 constant on the GPU (and
# widens exactly to float64 in float64 kernels). The simulator runs kernels as Python on
# numpy scalars, where np.float32 would drag a float64 expression down to float32 (NEP 50);
# a plain Python float there mixes like the GPU's typed constant.
float32 = float if SIMULATOR else numba.float32
CHECK_SIGNATURES = SIMULATOR or os.environ.get("TGCNN_CUDA_CHECK_SIGNATURES") == "1"


class Kernel:
    """A ``cuda.jit`` kernel plus the signatures it is meant to be compiled for."""

    def __init__(self, fn: Callable, signatures: Sequence[str]) -> None:
        self.py_func = fn
        self.signatures = tuple(signatures)
        self.name = f"{fn.__module__}.{fn.__name__}"
        self.dispatcher = cuda.jit(cache=True)(fn)
        self._arg_types: list[tuple] | None = None

    def _check(self, args: tuple) -> None:
        if self._arg_types is None:
            self._arg_types = [sigutils.normalize_signature(s)[0] for s in self.signatures]
        got = tuple(numba.typeof(getattr(a, "_ary", a)) for a in args)
        if got not in self._arg_types:
            raise TypeError(f"{self.name} launched with {got}, not one of {self.signatures}")

    def launch(self, n: int, *args: Any) -> None:
        """Run with one thread per item ``0 <= i < n`` (1-D grid of ``THREADS``-wide blocks)."""
        if n > 0:
            self.grid(((n + THREADS - 1) // THREADS,), (THREADS,), *args)

    def grid(self, grid: tuple[int, ...], block: tuple[int, ...], *args: Any) -> None:
        """Run on an explicit grid and block shape."""
        if min(grid) <= 0:
            return
        if CHECK_SIGNATURES:
            self._check(args)
        self.dispatcher[grid, block](*args)


KERNELS: list[Kernel] = []


def kernel(*templates: str, dtypes: Sequence[str] = FLOATS) -> Callable[[Callable], Kernel]:
    """Declare a kernel; ``{t}`` in each signature template is replaced by every dtype."""
    signatures = []
    for tpl in templates:
        signatures += [tpl.replace("{t}", d) for d in dtypes] if "{t}" in tpl else [tpl]

    def wrap(fn: Callable) -> Kernel:
        k = Kernel(fn, signatures)
        KERNELS.append(k)
        return k
    return wrap


def empty(shape: Sequence[int], dtype: Any) -> Any:
    """A new uninitialised C-contiguous device array."""
    return cuda.device_array(tuple(int(s) for s in shape), dtype=np.dtype(dtype))


def flat(a: Any) -> Any:
    """A 1-D view of a C-contiguous device array (kernels index memory linearly)."""
    return a.reshape(a.size)


def scalar(dtype: Any, value: float) -> Any:
    """``value`` as a numpy scalar of ``dtype``: a kernel argument of that exact type."""
    return np.dtype(dtype).type(value)


def padded(values: Sequence[int], fill: int = 0) -> tuple[int, ...]:
    """``values`` as a tuple of ``MAXDIM`` Python ints (one kernel signature for every rank)."""
    values = [int(v) for v in values]
    if len(values) > MAXDIM:
        raise ValueError(f"at most {MAXDIM} dimensions are supported on cuda, got {len(values)}")
    return tuple(values) + (fill,) * (MAXDIM - len(values))


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Element strides of a C-contiguous array of ``shape``."""
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= int(s)
    return tuple(reversed(strides))


def size_of(shape: Sequence[int]) -> int:
    """Number of elements of ``shape``."""
    return int(math.prod(int(s) for s in shape))


def is_device_array(a: Any) -> bool:
    """True for a Numba device array (or the simulator's stand-in)."""
    return hasattr(a, "copy_to_host") and not isinstance(a, np.ndarray)


@cuda.jit(device=True)
def offset_of(r, shape, strides, ndim):
    """Memory offset of the ``r``-th element (C order) of a (shape, strides) index space."""
    off = 0
    for d in range(ndim - 1, -1, -1):
        off += (r % shape[d]) * strides[d]
        r //= shape[d]
    return off


@cuda.jit(device=True)
def offsets2_of(r, shape, sa, sb, ndim):
    """Offsets of the ``r``-th element (C order) of ``shape`` in two operands with strides
    ``sa`` and ``sb`` (broadcast axes: stride 0), one division per axis for both."""
    ia = 0
    ib = 0
    for d in range(ndim - 1, -1, -1):
        idx = r % shape[d]
        r //= shape[d]
        ia += idx * sa[d]
        ib += idx * sb[d]
    return ia, ib


def coalesce(shape: Sequence[int], *strides: Sequence[int]) -> tuple[list[int], ...]:
    """Merge axes that every operand (one stride list each) walks contiguously with the inner
    neighbour and drop size-1 axes, so a kernel divides by as few extents as possible:
    ``(extents, strides_1, strides_2, ...)``; ``([1], [0], ...)`` when nothing is left.

    Example:
        >>> coalesce((2, 1, 3, 4), (12, 12, 4, 1), (0, 0, 4, 1))
        ([2, 12], [12, 1], [0, 1])
    """
    dims: list[list[int]] = []
    for n, *st in zip(shape, *strides):
        n, st = int(n), [int(x) for x in st]
        if n == 1:
            continue
        if dims and all(dims[-1][k + 1] == x * n for k, x in enumerate(st)):
            dims[-1][0] *= n
            dims[-1][1:] = st
        else:
            dims.append([n, *st])
    if not dims:
        dims = [[1] + [0] * len(strides)]
    return tuple([d[k] for d in dims] for k in range(len(strides) + 1))


def broadcast_strides(shape: Sequence[int], in_shape: Sequence[int]) -> list[int]:
    """Element strides of a contiguous input of ``in_shape`` read as ``shape`` (0 on broadcast
    axes).

    Example:
        >>> broadcast_strides((2, 3, 4), (3, 1))
        [0, 1, 0]
    """
    in_shape = (1,) * (len(shape) - len(in_shape)) + tuple(in_shape)
    st = contiguous_strides(in_shape)
    return [0 if n == 1 and s != 1 else x for n, s, x in zip(in_shape, shape, st)]


def blocks_for(n: int, per_block: int) -> int:
    """Number of blocks of ``per_block`` items needed to cover ``n`` items."""
    return (int(n) + per_block - 1) // per_block
