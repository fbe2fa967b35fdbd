"""Pooling layers: ``MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d`` (no parameters)."""
from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ._args import boolean, int_or_pair, jsonable


class MaxPool2d(Module):
    """Maximum over each ``kernel_size`` window; ``stride`` defaults to ``kernel_size``.

    Example:
        >>> import tinygrad_cnn as tg
        >>> MaxPool2d(2)(tg.zeros(1, 64, 224, 224)).shape     # VGG's halving of H and W
        (1, 64, 112, 112)
    """

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = int_or_pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else int_or_pair(stride, "stride", name, 1)
        self.padding = int_or_pair(padding, "padding", name, 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": jsonable(self.kernel_size), "stride": jsonable(self.stride),
                "padding": jsonable(self.padding)}

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over each window; padded zeros count unless ``count_include_pad=False``."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, count_include_pad: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = int_or_pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else int_or_pair(stride, "stride", name, 1)
        self.padding = int_or_pair(padding, "padding", name, 0)
        self.count_include_pad = boolean(count_include_pad, "count_include_pad", name)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": jsonable(self.kernel_size), "stride": jsonable(self.stride),
                "padding": jsonable(self.padding), "count_include_pad": self.count_include_pad}

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text if self.count_include_pad else text + ", count_include_pad=False"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (VGG's 7x7).

    Example:
        >>> import tinygrad_cnn as tg
        >>> AdaptiveAvgPool2d((7, 7))(tg.zeros(1, 512, 14, 14)).shape
        (1, 512, 7, 7)
    """

    def __init__(self, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        self.output_size = int_or_pair(output_size, "output_size", type(self).__name__, 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def get_config(self) -> dict[str, Any]:
        return {"output_size": jsonable(self.output_size)}

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
