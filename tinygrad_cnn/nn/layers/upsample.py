"""``Upsample``: resize feature maps with :func:`tinygrad_cnn.nn.functional.interpolate`.

Example:
    >>> import tinygrad_cnn as tg
    >>> Upsample(scale_factor=2, mode="bilinear")(tg.ones(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
"""
from __future__ import annotations

from typing import Any, Sequence

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ._args import jsonable


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` (``nearest`` or ``bilinear``)."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None) -> None:
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"Upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
        self.size = tuple(size) if isinstance(size, (list, tuple)) else size
        self.scale_factor = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) \
            else scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def get_config(self) -> dict[str, Any]:
        return {"size": jsonable(self.size), "scale_factor": jsonable(self.scale_factor),
                "mode": self.mode, "align_corners": self.align_corners}

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
