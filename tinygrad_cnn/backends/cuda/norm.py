"""Batch normalisation on the GPU over N, H, W of an (N, C, H, W) or (N, C) input.

Training forward and backward are one launch each: one block per channel computes the
channel's sums with a shared-memory tree (two passes over the data for the variance, which
avoids the cancellation of E[x^2] - E[x]^2) and then writes that channel's outputs.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> x = from_numpy(np.array([[1.0], [3.0]], np.float32))
    >>> one, zero = from_numpy(np.ones(1, np.float32)), from_numpy(np.zeros(1, np.float32))
    >>> y, mean, invstd, var = batch_norm_train_forward(x, one, zero, 0.0)
    >>> to_numpy(y).ravel().tolist(), to_numpy(var).tolist()
    ([-1.0, 1.0], [2.0])
"""
from __future__ import annotations

import math
from typing import Any

from numba import cuda

from ._common import THREADS, empty, flat, float32, kernel, scalar
from .array import full

__all__ = ["batch_norm_train_forward", "batch_norm_eval_forward", "batch_norm_backward"]


@cuda.jit(device=True)
def _block_sum(part, t):
    """Tree-sum ``part[0:THREADS]`` in place; every thread returns the total."""
    cuda.syncthreads()
    half = THREADS // 2
    while half > 0:
        if t < half:
            part[t] += part[t + half]
        cuda.syncthreads()
        half //= 2
    total = part[0]
    cuda.syncthreads()  # everyone has read the total before part is reused
    return total


@kernel("void({t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], "
        "int64, int64, int64, {t})")
def _train_fwd(x, w, b, y, mean, invstd, var_unbiased, N, C, HW, eps):
    part = cuda.shared.array(THREADS, dtype=x.dtype)
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    M = N * HW
    acc = float32(0)
    for j in range(t, M, THREADS):
        acc += x[((j // HW) * C + c) * HW + j % HW]
    part[t] = acc
    mu = _block_sum(part, t) / float32(M)
    acc = float32(0)
    for j in range(t, M, THREADS):
        d = x[((j // HW) * C + c) * HW + j % HW] - mu
        acc += d * d
    part[t] = acc
    ss = _block_sum(part, t)
    inv = float32(1) / math.sqrt(ss / float32(M) + eps)
    scale = w[c] * inv
    for j in range(t, M, THREADS):
        k = ((j // HW) * C + c) * HW + j % HW
        y[k] = (x[k] - mu) * scale + b[c]
    if t == 0:
        mean[c] = mu
        invstd[c] = inv
        # M == 1 gives 0/0 = NaN, as PyTorch's unbiased variance of one value.
        var_unbiased[c] = ss / float32(M - 1)


@kernel("void({t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], int64, int64, {t})")
def _eval_fwd(x, mean, var, w, b, y, C, HW, eps):
    i = cuda.grid(1)
    if i < y.size:
        c = (i // HW) % C
        y[i] = (x[i] - mean[c]) / math.sqrt(var[c] + eps) * w[c] + b[c]


@kernel("void({t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}[::1], "
        "int64, int64, int64)")
def _backward(g, x, w, mean, invstd, dx, dw, db, N, C, HW):
    part = cuda.shared.array(THREADS, dtype=x.dtype)
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    M = N * HW
    mu = mean[c]
    inv = invstd[c]
    acc = float32(0)
    for j in range(t, M, THREADS):
        acc += g[((j // HW) * C + c) * HW + j % HW]
    part[t] = acc
    sum_g = _block_sum(part, t)
    acc = float32(0)
    for j in range(t, M, THREADS):
        k = ((j // HW) * C + c) * HW + j % HW
        acc += g[k] * (x[k] - mu)
    part[t] = acc
    sum_gxhat = _block_sum(part, t) * inv
    # dx = w*inv/M * (M*g - sum(g) - xhat*sum(g*xhat))
    coef = w[c] * inv / float32(M)
    for j in range(t, M, THREADS):
        k = ((j // HW) * C + c) * HW + j % HW
        xhat = (x[k] - mu) * inv
        dx[k] = coef * (float32(M) * g[k] - sum_g - xhat * sum_gxhat)
    if t == 0:
        db[c] = sum_g
        dw[c] = sum_gxhat


def _layout(x: Any) -> tuple[int, int, int]:
    n, c = x.shape[0], x.shape[1]
    hw = x.size // (n * c) if n * c else 0
    return int(n), int(c), int(hw)


def _affine(w: Any, b: Any, c: int, dtype: Any) -> tuple[Any, Any]:
    return (full((c,), 1.0, dtype) if w is None else w, full((c,), 0.0, dtype) if b is None else b)


def batch_norm_train_forward(x: Any, weight: Any, bias: Any, eps: float
                             ) -> tuple[Any, Any, Any, Any]:
    """Return ``(y, mean, invstd, var_unbiased)``; statistics have shape (C,)."""
    n, c, hw = _layout(x)
    weight, bias = _affine(weight, bias, c, x.dtype)
    y = empty(x.shape, x.dtype)
    mean, invstd, var = (empty((c,), x.dtype) for _ in range(3))
    _train_fwd.grid((c,), (THREADS,), flat(x), weight, bias, flat(y), mean, invstd, var, n, c,
                    hw, scalar(x.dtype, eps))
    return y, mean, invstd, var


def batch_norm_eval_forward(x: Any, mean: Any, var: Any, weight: Any, bias: Any,
                            eps: float) -> Any:
    """Normalise with running statistics: ``(x - mean) / sqrt(var + eps) * weight + bias``."""
    n, c, hw = _layout(x)
    weight, bias = _affine(weight, bias, c, x.dtype)
    y = empty(x.shape, x.dtype)
    _eval_fwd.launch(y.size, flat(x), mean, var, weight, bias, flat(y), c, hw,
                     scalar(x.dtype, eps))
    return y


def batch_norm_backward(grad: Any, x: Any, weight: Any, mean: Any, invstd: Any
                        ) -> tuple[Any, Any, Any]:
    """Training-mode backward; return ``(dx, dweight, dbias)``."""
    n, c, hw = _layout(x)
    weight, _ = _affine(weight, None, c, x.dtype)
    dx = empty(x.shape, x.dtype)
    dw, db = empty((c,), x.dtype), empty((c,), x.dtype)
    _backward.grid((c,), (THREADS,), flat(grad), flat(x), weight, mean, invstd, flat(dx), dw, db,
                   n, c, hw)
    return dx, dw, db
