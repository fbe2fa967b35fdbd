"""Softmax, log-softmax and cross-entropy on the GPU.

The softmax axis is viewed as the middle of (outer, L, inner); one thread owns one
(outer, inner) row and walks its L entries (max, sum of exponentials, write), so results are
race-free and stable (the max is subtracted before exponentiating).

Example:
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> p = to_numpy(softmax(from_numpy(np.zeros((1, 4), np.float32)), 1))
    >>> p.tolist()
    [[0.25, 0.25, 0.25, 0.25]]
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda

from ._common import empty, flat, float32, kernel, scalar, size_of
from .array import from_numpy

__all__ = ["log_softmax", "log_softmax_backward", "softmax", "softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward"]


@cuda.jit(device=True)
def _row_lse(x, base, L, inner):
    """(max, log-sum-exp) of the row x[base + l*inner], l < L."""
    m = x[base]
    for l in range(1, L):
        v = x[base + l * inner]
        if v > m:
            m = v
    s = float32(0)
    for l in range(L):
        s += math.exp(x[base + l * inner] - m)
    return m, m + math.log(s)


@kernel("void({t}[::1], {t}[::1], int64, int64, int64, boolean)")
def _softmax_fwd(x, out, outer, L, inner, take_log):
    r = cuda.grid(1)
    if r < outer * inner:
        base = (r // inner) * L * inner + r % inner
        m, lse = _row_lse(x, base, L, inner)
        for l in range(L):
            k = base + l * inner
            out[k] = x[k] - lse if take_log else math.exp(x[k] - lse)


@kernel("void({t}[::1], {t}[::1], {t}[::1], int64, int64, int64, boolean)")
def _softmax_bwd(grad, out, dx, outer, L, inner, take_log):
    r = cuda.grid(1)
    if r < outer * inner:
        base = (r // inner) * L * inner + r % inner
        s = float32(0)
        for l in range(L):
            k = base + l * inner
            s += grad[k] if take_log else grad[k] * out[k]
        for l in range(L):
            k = base + l * inner
            if take_log:
                dx[k] = grad[k] - math.exp(out[k]) * s
            else:
                dx[k] = out[k] * (grad[k] - s)


@kernel("void({t}[::1], int64[::1], {t}[::1], {t}[::1], int64, {t})")
def _ce_fwd(logits, target, loss, probs, C, smoothing):
    n = cuda.grid(1)
    if n < loss.size:
        base = n * C
        m, lse = _row_lse(logits, base, C, 1)
        total = float32(0)
        for j in range(C):
            v = logits[base + j]
            total += v - m          # shifted like the CPU kernel: no cancellation for big logits
            probs[base + j] = math.exp(v - lse)
        logp_t = logits[base + target[n]] - lse
        mean_logp = total / float32(C) + m - lse
        if smoothing == float32(0):      # 0 * inf would turn an infinite loss into NaN
            loss[n] = -logp_t
        else:
            loss[n] = -(float32(1) - smoothing) * logp_t - smoothing * mean_logp


@kernel("void({t}[::1], {t}[::1], int64[::1], {t}[::1], int64, {t})")
def _ce_bwd(grad_loss, probs, target, dx, C, smoothing):
    i = cuda.grid(1)
    if i < dx.size:
        n = i // C
        hit = (float32(1) - smoothing) if i % C == target[n] else float32(0)
        dx[i] = (probs[i] - hit - smoothing / float32(C)) * grad_loss[n]


def _rows(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    axis = axis % len(shape)
    return size_of(shape[:axis]), int(shape[axis]), size_of(shape[axis + 1:])


def _forward(x: Any, axis: int, take_log: bool) -> Any:
    outer, L, inner = _rows(x.shape, axis)
    out = empty(x.shape, x.dtype)
    if L:
        _softmax_fwd.launch(outer * inner, flat(x), flat(out), outer, L, inner, take_log)
    return out


def _backward(grad: Any, out: Any, axis: int, take_log: bool) -> Any:
    outer, L, inner = _rows(out.shape, axis)
    dx = empty(out.shape, out.dtype)
    if L:
        _softmax_bwd.launch(outer * inner, flat(grad), flat(out), flat(dx), outer, L, inner,
                            take_log)
    return dx


def log_softmax(x: Any, axis: int) -> Any:
    """``x - logsumexp(x, axis)``."""
    return _forward(x, axis, True)


def softmax(x: Any, axis: int) -> Any:
    """``exp(x - logsumexp(x, axis))``."""
    return _forward(x, axis, False)


def log_softmax_backward(grad: Any, out: Any, axis: int) -> Any:
    """``grad - exp(out) * sum(grad, axis)`` where ``out`` is the log-softmax output."""
    return _backward(grad, out, axis, True)


def softmax_backward(grad: Any, out: Any, axis: int) -> Any:
    """``out * (grad - sum(grad * out, axis))`` where ``out`` is the softmax output."""
    return _backward(grad, out, axis, False)


def _device_target(target: Any) -> Any:
    if isinstance(target, np.ndarray):
        return from_numpy(target.astype(np.int64))
    return target


def cross_entropy_forward(logits: Any, target: Any, label_smoothing: float
                          ) -> tuple[Any, Any]:
    """Per-sample loss (N,) and softmax probabilities (N, C) for 2-D ``logits``.

    ``loss = -(1 - s) * log p[target] - s * mean(log p)`` with ``s = label_smoothing``.
    """
    n, c = logits.shape
    loss = empty((n,), logits.dtype)
    probs = empty((n, c), logits.dtype)
    _ce_fwd.launch(n, flat(logits), _device_target(target), loss, flat(probs), c,
                   scalar(logits.dtype, label_smoothing))
    return loss, probs


def cross_entropy_backward(grad_loss: Any, probs: Any, target: Any,
                           label_smoothing: float) -> Any:
    """``(probs - smoothed_one_hot(target)) * grad_loss[:, None]``."""
    n, c = probs.shape
    dx = empty((n, c), probs.dtype)
    _ce_bwd.launch(dx.size, flat(grad_loss), flat(probs), _device_target(target), flat(dx), c,
                   scalar(probs.dtype, label_smoothing))
    return dx
