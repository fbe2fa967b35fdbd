"""Max pooling and the windowed average behind average and adaptive average pooling.

Average and adaptive average pooling differ only in their windows (host tables from
:mod:`tinygrad_cnn.backends._pool_windows`); both run the backend's one windowed-average pair.
"""
from __future__ import annotations

from ..autograd import Function
from ..backends._pool_windows import PoolWindows, adaptive_windows, pool_windows

Pair = tuple[int, int]


class MaxPool2d(Function):
    """``indices``, when given, is a list that receives each maximum's flat position in its
    (H, W) plane (an int64 backend array shaped like the output, not differentiated)."""

    def forward(self, x, kernel: Pair, stride: Pair, padding: Pair, indices: list | None = None):
        out, self.argmax = self.backend.max_pool2d_forward(x, kernel, stride, padding)
        if indices is not None:  # a copy: backward keeps its own
            indices.append(self.backend.copy(self.argmax))
        self.in_shape = tuple(x.shape)
        return out

    def backward(self, grad):
        return self.backend.max_pool2d_backward(grad, self.argmax, self.in_shape)


class WindowAvg2d(Function):
    """The mean of each window of a :class:`PoolWindows` table, and its gradient."""

    def forward(self, x, windows: PoolWindows):
        self.windows = windows
        return self.backend.avg_pool2d_forward(x, windows)

    def backward(self, grad):
        return self.backend.avg_pool2d_backward(grad, self.windows)


class AvgPool2d(WindowAvg2d):
    def forward(self, x, kernel: Pair, stride: Pair, padding: Pair, count_include_pad: bool):
        return super().forward(x, pool_windows(x.shape[2:], kernel, stride, padding,
                                               count_include_pad))


class AdaptiveAvgPool2d(WindowAvg2d):
    def forward(self, x, output_size: Pair):
        return super().forward(x, adaptive_windows(x.shape[2:], output_size))
