"""The four 3x3 Sobel kernels and the depthwise weight built from them.

``vertical`` is the kernel of cnn-fundamentals §3.4: positive left column, zero centre,
negative right column; slid left to right it approximates the horizontal derivative, so it
responds to *vertical* edges. The others are the same kernel turned: ``horizontal`` is its
transpose (responds to horizontal edges), ``diagonal`` is it rotated 45° counter-clockwise
(zeros on the main diagonal: responds to edges running top-left to bottom-right) and
``antidiagonal`` rotated 45° clockwise (zeros on the anti-diagonal).

Example:
    >>> sobel_kernels(["vertical"])[0]
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]], dtype=float32)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

_VERTICAL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
_KERNELS: dict[str, list[list[int]]] = {
    "horizontal": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "vertical": _VERTICAL,
    "diagonal": [[0, -1, -2], [1, 0, -1], [2, 1, 0]],
    "antidiagonal": [[2, 1, 0], [1, 0, -1], [0, -1, -2]],
}

#: every direction, in the layer's default order
DIRECTIONS: tuple[str, ...] = tuple(_KERNELS)


def check_directions(directions: str | Sequence[str], layer: str = "SobelEdges"
                     ) -> tuple[str, ...]:
    """``directions`` as a tuple of known, distinct names (one name may be given as a str)."""
    names = (directions,) if isinstance(directions, str) else tuple(directions)
    if not names:
        raise ValueError(f"{layer}: directions must name at least one of {list(DIRECTIONS)}")
    for name in names:
        if name not in _KERNELS:
            raise ValueError(f"{layer}: unknown direction {name!r}; choose from "
                             f"{list(DIRECTIONS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{layer}: directions repeat a name: {list(names)}")
    return names


def sobel_kernels(directions: str | Sequence[str] = DIRECTIONS,
                  dtype: type = np.float32) -> np.ndarray:
    """The kernels of ``directions`` stacked as a (D, 3, 3) array."""
    return np.array([_KERNELS[d] for d in check_directions(directions)], dtype=dtype)


def sobel_weight(in_channels: int, directions: str | Sequence[str] = DIRECTIONS,
                 dtype: type = np.float32) -> np.ndarray:
    """A depthwise conv weight of shape (in_channels * D, 1, 3, 3).

    With ``groups=in_channels`` output channel ``c * D + d`` is input channel ``c`` filtered
    by direction ``d``: every input channel gets every direction, in order.

    Example:
        >>> sobel_weight(2, ["vertical", "horizontal"]).shape
        (4, 1, 3, 3)
    """
    kernels = sobel_kernels(directions, dtype)
    return np.ascontiguousarray(np.tile(kernels, (in_channels, 1, 1))[:, None])
