"""Batch normalisation kernels for (N, C, H, W) and (N, C) inputs on the CPU.

Statistics run over every axis but the channel axis. Wrappers view the input as
``(N, C, L)`` (``L = H*W``, or 1 for a 2-D input) so one kernel specialisation serves both
ranks; ``prange`` runs over channels, and every channel owns its output slice.

Example:
    >>> x = np.random.default_rng(0).standard_normal((4, 3, 5, 5)).astype(np.float32)
    >>> y, mean, invstd, var = batch_norm_train_forward(x, np.ones(3, np.float32),
    ...                                                 np.zeros(3, np.float32), 1e-5)
    >>> y.shape, mean.shape, invstd.shape, var.shape
    ((4, 3, 5, 5), (3,), (3,), (3,))
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# No 'reassoc' (nor 'nsz'): with them, these parallel kernels gave different bits when run
# right after compiling than when loaded from Numba's cache (the optimiser may reassociate the
# sums differently each time the code is optimised), so a cold and a warm cache trained
# different models. No 'nnan'/'ninf' either: NaN and Inf must still propagate.
_FAST = {"contract", "arcp"}

__all__ = ["batch_norm_train_forward", "batch_norm_eval_forward", "batch_norm_backward"]


def _float_dtype(a: np.ndarray) -> type:
    """float64 stays float64; everything else computes in float32."""
    return np.float64 if a.dtype == np.float64 else np.float32


def _as_ncl(x: np.ndarray, dtype: type) -> np.ndarray:
    """C-contiguous ``(N, C, L)`` view/copy of an (N, C) or (N, C, H, W) array."""
    x = np.ascontiguousarray(x, dtype=dtype)
    return x.reshape(x.shape[0], x.shape[1], -1)


def _vec(a: np.ndarray, dtype: type) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


@njit(cache=True, parallel=True, fastmath=_FAST)
def _train_forward_kernel(x, weight, bias, eps, unbias, y, mean, invstd, var_unbiased):
    n_batch, n_chan, n_len = x.shape
    zero = x.dtype.type(0)
    one = x.dtype.type(1)
    count = x.dtype.type(n_batch * n_len)
    for c in prange(n_chan):
        # Pass 1: mean. Per-row partial sums keep float32 rounding small (blocked summation).
        total = zero
        for n in range(n_batch):
            row = zero
            for i in range(n_len):
                row += x[n, c, i]
            total += row
        mu = total / count
        # Pass 2: centred sum of squares, plus the compensation term of the corrected
        # two-pass algorithm (removes the residual error of ``mu``).
        sq = zero
        comp = zero
        for n in range(n_batch):
            row_sq = zero
            row_d = zero
            for i in range(n_len):
                d = x[n, c, i] - mu
                row_sq += d * d
                row_d += d
            sq += row_sq
            comp += row_d
        var = (sq - comp * comp / count) / count
        if var < zero:
            var = zero
        inv = one / np.sqrt(var + x.dtype.type(eps))
        mean[c] = mu
        invstd[c] = inv
        var_unbiased[c] = var * x.dtype.type(unbias)
        scale = weight[c] * inv
        shift = bias[c]
        for n in range(n_batch):
            for i in range(n_len):
                y[n, c, i] = (x[n, c, i] - mu) * scale + shift


def batch_norm_train_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                             eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Normalise ``x`` with its own batch statistics.

    Returns ``(y, mean, invstd, var_unbiased)``: ``y`` has the shape of ``x``; the statistics
    have shape (C,). ``invstd = 1/sqrt(biased_var + eps)`` is what normalised ``y``;
    ``var_unbiased`` (``biased_var * n/(n-1)``, ``n = N*H*W``) is what PyTorch blends into
    ``running_var``. With ``n == 1`` it is ``inf``/``nan``; the op layer rejects that case
    as PyTorch does. All outputs take the dtype of ``x`` (float32 unless ``x`` is float64).

    Example:
        >>> x = np.array([[1.0], [3.0]], np.float32)
        >>> y, m, s, v = batch_norm_train_forward(x, np.ones(1, np.float32), np.zeros(1, np.float32), 0.0)
        >>> y.ravel().tolist(), m.tolist(), v.tolist()
        ([-1.0, 1.0], [2.0], [2.0])
    """
    dt = _float_dtype(x)
    x3 = _as_ncl(x, dt)
    n_chan = x3.shape[1]
    count = x3.shape[0] * x3.shape[2]
    unbias = count / (count - 1) if count > 1 else float("inf")
    y = np.empty_like(x3)
    mean = np.empty(n_chan, dt)
    invstd = np.empty(n_chan, dt)
    var_unbiased = np.empty(n_chan, dt)
    _train_forward_kernel(x3, _vec(weight, dt), _vec(bias, dt), float(eps), float(unbias),
                          y, mean, invstd, var_unbiased)
    return y.reshape(x.shape), mean, invstd, var_unbiased


@njit(cache=True, parallel=True, fastmath=_FAST)
def _eval_forward_kernel(x, mean, var, weight, bias, eps, y):
    n_batch, n_chan, n_len = x.shape
    one = x.dtype.type(1)
    # One plane (n, c) per iteration: more parallel work than channels alone, same ownership.
    for p in prange(n_batch * n_chan):
        n = p // n_chan
        c = p - n * n_chan
        scale = weight[c] * (one / np.sqrt(var[c] + x.dtype.type(eps)))
        mu = mean[c]
        shift = bias[c]
        for i in range(n_len):
            y[n, c, i] = (x[n, c, i] - mu) * scale + shift


def batch_norm_eval_forward(x: np.ndarray, mean: np.ndarray, var: np.ndarray,
                            weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Normalise ``x`` with given (running) statistics: ``(x-mean)/sqrt(var+eps)*weight+bias``.

    Example:
        >>> x = np.array([[1.0], [3.0]], np.float32)
        >>> one = np.ones(1, np.float32)
        >>> batch_norm_eval_forward(x, one, one, one, np.zeros(1, np.float32), 0.0).ravel().tolist()
        [0.0, 2.0]
    """
    dt = _float_dtype(x)
    x3 = _as_ncl(x, dt)
    y = np.empty_like(x3)
    _eval_forward_kernel(x3, _vec(mean, dt), _vec(var, dt), _vec(weight, dt), _vec(bias, dt),
                         float(eps), y)
    return y.reshape(x.shape)


@njit(cache=True, parallel=True, fastmath=_FAST)
def _backward_kernel(grad, x, weight, mean, invstd, dx, dweight, dbias):
    n_batch, n_chan, n_len = x.shape
    zero = x.dtype.type(0)
    count = x.dtype.type(n_batch * n_len)
    for c in prange(n_chan):
        mu = mean[c]
        inv = invstd[c]
        sum_g = zero
        sum_gd = zero
        for n in range(n_batch):
            row_g = zero
            row_gd = zero
            for i in range(n_len):
                g = grad[n, c, i]
                row_g += g
                row_gd += g * (x[n, c, i] - mu)
            sum_g += row_g
            sum_gd += row_gd
        # dweight = sum(g * xhat); dx = w*invstd * (g - mean(g) - xhat * mean(g * xhat)).
        dw = sum_gd * inv
        dweight[c] = dw
        dbias[c] = sum_g
        mean_g = sum_g / count
        proj = dw * inv / count  # mean(g*xhat) * invstd, applied to (x - mu)
        scale = weight[c] * inv
        for n in range(n_batch):
            for i in range(n_len):
                dx[n, c, i] = (grad[n, c, i] - mean_g - (x[n, c, i] - mu) * proj) * scale


def batch_norm_backward(grad: np.ndarray, x: np.ndarray, weight: np.ndarray, mean: np.ndarray,
                        invstd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode backward of :func:`batch_norm_train_forward`.

    ``mean`` and ``invstd`` are the statistics that forward returned. Returns
    ``(dx, dweight, dbias)`` with ``dx`` shaped like ``x`` and the others of shape (C,).

    Example:
        >>> x = np.array([[1.0], [3.0]], np.float32)
        >>> dx, dw, db = batch_norm_backward(np.array([[1.0], [0.0]], np.float32), x,
        ...     np.ones(1, np.float32), np.array([2.0], np.float32), np.ones(1, np.float32))
        >>> dx.ravel().tolist(), dw.tolist(), db.tolist()
        ([0.0, 0.0], [-1.0], [1.0])
    """
    dt = _float_dtype(x)
    x3 = _as_ncl(x, dt)
    g3 = _as_ncl(grad, dt)
    n_chan = x3.shape[1]
    dx = np.empty_like(x3)
    dweight = np.empty(n_chan, dt)
    dbias = np.empty(n_chan, dt)
    _backward_kernel(g3, x3, _vec(weight, dt), _vec(mean, dt), _vec(invstd, dt),
                     dx, dweight, dbias)
    return dx.reshape(x.shape), dweight, dbias
