"""Fused ops: convolution + bias + ReLU in one pass, and eval-mode BatchNorm folded into a conv.

``Conv2dReLU`` computes ``max(conv2d(x, w) + bias, 0)`` with the ReLU applied while each output
block is still in cache (backends that have a ``conv2d_relu_forward`` kernel; others compose
``conv2d_forward`` and ``relu``). Its backward masks the upstream gradient with the saved output
(``relu_backward``) and then runs the convolution's backward: the same numbers as ``Conv2d``
followed by ``Relu``, one array pass less each way.

:func:`fold_batch_norm` gives the weight and bias of a convolution followed by an eval-mode
BatchNorm: ``w * s`` and ``(b - mean) * s + beta`` with ``s = gamma / sqrt(var + eps)``.

Example:
    >>> import numpy as np
    >>> w, b = fold_batch_norm(np.ones((2, 1, 1, 1)), None, np.zeros(2), np.full(2, 3.0),
    ...                        np.full(2, 2.0), np.ones(2), 1.0)
    >>> w.ravel(), b
    (array([1., 1.]), array([1., 1.]))
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from .conv import conv2d_grads, weight_plan

Pair = tuple[int, int]


class Conv2dReLU(Function):
    """``relu(conv2d(x, w, bias))`` with NCHW input and OIHW weight."""

    def forward(self, x, w, bias, stride: Pair, padding: Pair, dilation: Pair, groups: int):
        be = self.backend
        self.geometry = (stride, padding, dilation, groups)
        self.has_bias = bias is not None
        fused = getattr(be, "conv2d_relu_forward", None)
        if fused is not None:
            out = fused(x, w, bias, stride, padding, dilation, groups, **weight_plan(self))
        else:
            out = be.relu(be.conv2d_forward(x, w, bias, stride, padding, dilation, groups))
        self.save(x, w, out)
        return out

    def backward(self, grad):
        x, w, out = self.saved
        return conv2d_grads(self, self.backend.relu_backward(grad, out), x, w)


def fold_batch_norm(w: np.ndarray, b: np.ndarray | None, mean: np.ndarray, var: np.ndarray,
                    gamma: np.ndarray | None, beta: np.ndarray | None,
                    eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias of ``batch_norm(conv2d(x, w, b))`` with fixed statistics as one conv
    (computed in float64, returned in ``w``'s dtype; ``gamma``/``beta`` None: not affine)."""
    dt = w.dtype
    scale = 1.0 / np.sqrt(np.asarray(var, np.float64) + eps)
    if gamma is not None:
        scale = scale * np.asarray(gamma, np.float64)
    shift = -np.asarray(mean, np.float64) * scale
    if b is not None:
        shift = shift + np.asarray(b, np.float64) * scale
    if beta is not None:
        shift = shift + np.asarray(beta, np.float64)
    wf = np.asarray(w, np.float64) * scale.reshape(-1, 1, 1, 1)
    return wf.astype(dt), shift.astype(dt)
