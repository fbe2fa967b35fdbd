"""Hypothesis strategies for op tests: arrays, broadcastable shapes and valid geometry.

Geometry is built valid by construction (kernel, stride, padding first, then an input size
that gives an output of at least 1) instead of being filtered, so no example is wasted.

Example:
    >>> from hypothesis import given
    >>> @given(conv_geometries())
    ... def test_shapes(g):
    ...     assert g.output_size[0] >= 1
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..backends._geometry import out_size


def arrays(shape: tuple[int, ...], dtype: type = np.float64, low: float = -2.0,
           high: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    """Finite float arrays of ``shape`` with values in ``[low, high]``."""
    return hnp.arrays(dtype, shape, elements=st.floats(low, high, allow_nan=False,
                                                         allow_infinity=False, width=64))


def unique_arrays(shape: tuple[int, ...], dtype: type = np.float64,
                  gap: float = 1e-2) -> st.SearchStrategy[np.ndarray]:
    """Arrays whose values differ pairwise by at least ``gap`` (for max and max-pool, whose
    derivative is undefined at ties): a random permutation of an evenly spaced ramp."""
    n = int(np.prod(shape, dtype=np.int64))
    ramp = (np.arange(n) - n / 2) * gap
    return st.randoms(use_true_random=False).map(
        lambda r: np.array(r.sample(list(ramp), n), dtype=dtype).reshape(shape))


def broadcastable_shapes(max_dims: int = 3, max_side: int = 4
                         ) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes that broadcast together (numpy rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             max_side=max_side).map(lambda b: b.input_shapes)


@dataclass(frozen=True)
class ConvGeometry:
    """One valid conv2d configuration (PyTorch layout)."""

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    height: int
    width: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.in_channels, self.height, self.width)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups) + self.kernel

    @property
    def output_size(self) -> tuple[int, int]:
        return tuple(out_size(n, k, s, p, d) for n, k, s, p, d in zip(
            (self.height, self.width), self.kernel, self.stride, self.padding, self.dilation))


@st.composite
def conv_geometries(draw: st.DrawFn, max_batch: int = 3, max_channels: int = 4,
                    max_size: int = 9, max_kernel: int = 4, max_stride: int = 3,
                    max_padding: int = 2, max_dilation: int = 2,
                    max_groups: int = 2) -> ConvGeometry:
    """Valid conv2d geometries within the given bounds (input sides up to ``max_size``)."""
    groups = draw(st.integers(1, max_groups))
    cin = groups * draw(st.integers(1, max(1, max_channels // groups)))
    cout = groups * draw(st.integers(1, max(1, max_channels // groups)))
    sides = []
    params = []
    for _ in range(2):
        k = draw(st.integers(1, max_kernel))
        s = draw(st.integers(1, max_stride))
        p = draw(st.integers(0, max_padding))
        d = draw(st.integers(1, max_dilation))
        span = d * (k - 1) + 1
        smallest = max(1, span - 2 * p)
        if smallest > max_size:      # the dilated kernel cannot fit: shrink dilation to 1
            d, span = 1, k
            smallest = max(1, span - 2 * p)
        sides.append(draw(st.integers(smallest, max(smallest, max_size))))
        params.append((k, s, p, d))
    (kh, sh, ph, dh), (kw, sw, pw, dw) = params
    return ConvGeometry(draw(st.integers(1, max_batch)), cin, cout, groups, sides[0], sides[1],
                        (kh, kw), (sh, sw), (ph, pw), (dh, dw))


@dataclass(frozen=True)
class PoolGeometry:
    """One valid pooling configuration."""

    shape: tuple[int, int, int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


@st.composite
def pool_geometries(draw: st.DrawFn, max_batch: int = 2, max_channels: int = 3,
                    max_size: int = 9, max_kernel: int = 3, max_stride: int = 3) -> PoolGeometry:
    """Valid pooling geometries (padding at most half the window, as PyTorch requires)."""
    kernel, stride, padding, sides = [], [], [], []
    for _ in range(2):
        k = draw(st.integers(1, max_kernel))
        p = draw(st.integers(0, k // 2))
        kernel.append(k)
        stride.append(draw(st.integers(1, max_stride)))
        padding.append(p)
        sides.append(draw(st.integers(max(1, k - 2 * p), max(max_size, k))))
    shape = (draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels)), *sides)
    return PoolGeometry(shape, tuple(kernel), tuple(stride), tuple(padding))
