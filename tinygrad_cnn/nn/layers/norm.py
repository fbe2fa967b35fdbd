"""Batch normalisation layers with PyTorch's parameters, buffers and running statistics."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import no_grad
from ...creation import ones_like, zeros_like
from ...tensor import Tensor
from .. import functional as F
from ..module import Module, Parameter
from ._args import boolean, positive_int, probability


class _BatchNorm(Module):
    _ndims: tuple[int, ...] = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(num_features, "num_features", name)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps <= 0:
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else probability(momentum, "momentum", name)
        self.affine = boolean(affine, "affine", name)
        self.track_running_stats = boolean(track_running_stats, "track_running_stats", name)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, np.float32))
            self.bias = Parameter(np.zeros(c, np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c), dtype=np.float32))
            self.register_buffer("running_var", Tensor(np.ones(c), dtype=np.float32))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data = zeros_like(self.running_mean)
            self.running_var.data = ones_like(self.running_var)
            self.num_batches_tracked.data = zeros_like(self.num_batches_tracked)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if isinstance(x, Tensor) and x.ndim not in self._ndims:
            raise ValueError(f"{name}: expected a {self._layout} input, got shape {x.shape}")
        factor = self.momentum if self.momentum is not None else 0.0
        if self.training and self.track_running_stats:
            counter = self.num_batches_tracked
            # counted on the device (no host round trip); read back only for the cumulative
            # average of momentum=None, which needs the count itself
            with no_grad():
                counter.data = counter + 1
            if self.momentum is None:  # cumulative moving average, as PyTorch
                factor = 1.0 / int(counter.item())
        use_batch_stats = self.training or not self.track_running_stats
        running = (self.running_mean, self.running_var) if self.track_running_stats else (None, None)
        return F.batch_norm(x, *running, self.weight, self.bias, training=use_batch_stats,
                            momentum=factor, eps=self.eps)

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "track_running_stats": self.track_running_stats}

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm2d(_BatchNorm):
    """Per-channel normalisation of (N, C, H, W) input.

    Training mode normalises with the batch's statistics and updates the buffers
    ``running_mean``/``running_var`` (unbiased variance) with ``momentum``; evaluation mode
    normalises with the running statistics. Init: weight 1, bias 0, running mean 0, var 1.

    Example:
        >>> bn = BatchNorm2d(64)
        >>> [name for name, _ in bn.named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
    """

    _ndims = (4,)
    _layout = "4-D (N, C, H, W)"


class BatchNorm1d(_BatchNorm):
    """Per-feature normalisation of (N, C) input (as :class:`BatchNorm2d`)."""

    _ndims = (2,)
    _layout = "2-D (N, C)"
