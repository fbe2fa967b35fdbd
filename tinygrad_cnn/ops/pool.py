"""Max, average and adaptive average pooling over NCHW inputs."""
from __future__ import annotations

from ..autograd import Function

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


class AvgPool2d(Function):
    def forward(self, x, kernel: Pair, stride: Pair, padding: Pair, count_include_pad: bool):
        self.params = (kernel, stride, padding, count_include_pad)
        self.in_shape = tuple(x.shape)
        return self.backend.avg_pool2d_forward(x, *self.params)

    def backward(self, grad):
        return self.backend.avg_pool2d_backward(grad, self.in_shape, *self.params)


class AdaptiveAvgPool2d(Function):
    def forward(self, x, output_size: Pair):
        self.in_shape = tuple(x.shape)
        return self.backend.adaptive_avg_pool2d_forward(x, output_size)

    def backward(self, grad):
        return self.backend.adaptive_avg_pool2d_backward(grad, self.in_shape)
