"""The plugin's own autodiff ops: ``tinygrad_cnn.Function`` subclasses whose forward and
backward run this package's Numba kernels (:mod:`.kernels`).

They extend the framework's autodiff exactly as the built-in ops do: ``apply`` records the
op in the graph, ``backward`` returns one gradient per positional input. The kernels are
CPU-only: on another device ``forward`` raises :class:`DeviceError`;
:mod:`.functional` falls back to built-in ops there instead.

Example:
    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(2, 3, 4, 4, requires_grad=True)
    >>> ChannelMean.apply(x).shape
    (2, 3)
"""
from __future__ import annotations

import numpy as np
from tinygrad_cnn import Function

from . import kernels


class DeviceError(RuntimeError):
    """A tensor reached this plugin's CPU-only kernels from another device."""


def _require_cpu(op: Function) -> None:
    if op.device != "cpu":
        raise DeviceError(
            f"{type(op).__name__} (tgcnn-squeeze-excite) has Numba CPU kernels only, got a "
            f"tensor on {op.device!r}: call tgcnn_squeeze_excite.functional (which composes "
            f"built-in ops on other devices) or move the tensors with .to('cpu')")


class ChannelMean(Function):
    """Squeeze: ``x (N, C, H, W) -> mean over (H, W), (N, C)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        _require_cpu(self)
        self.input_shape = tuple(x.shape)
        return kernels.plane_mean(x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return kernels.plane_mean_backward(grad, self.input_shape)


class ChannelScale(Function):
    """Excite: ``y[n, c, h, w] = x[n, c, h, w] * s[n, c]``.

    Backward: ``dx = grad * s`` (the forward kernel again) and
    ``ds[n, c] = sum_{h,w} grad * x`` (a per-plane dot product).
    """

    def forward(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        _require_cpu(self)
        self.save(x, s)
        return kernels.plane_scale(x, s)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        x, s = self.saved
        dx = kernels.plane_scale(grad, s) if self.needs_input_grad[0] else None
        ds = kernels.plane_dot(grad, x) if self.needs_input_grad[1] else None
        return dx, ds
