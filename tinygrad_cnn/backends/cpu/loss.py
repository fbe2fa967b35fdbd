"""Softmax, log-softmax and cross-entropy kernels on the CPU.

The wrappers view the data as ``(outer, K, inner)`` around the reduced axis (a reshape, no
transpose) so every kernel has one specialisation per dtype; ``prange`` runs over the
``outer * inner`` lines, each owning its K outputs; cross-entropy runs over rows of (N, C).
All softmaxes subtract the row maximum before exponentiating (numerically stable).

Example:
    >>> log_softmax(np.zeros((1, 4)), axis=1).round(4).tolist()
    [[-1.3863, -1.3863, -1.3863, -1.3863]]
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# No 'reassoc' (nor 'nsz'): with them, these parallel kernels gave different bits when run
# right after compiling than when loaded from Numba's cache (the optimiser may reassociate the
# sums differently each time the code is optimised), so a cold and a warm cache trained
# different models. No 'nnan'/'ninf' either: NaN and Inf must still propagate.
_FAST = {"contract", "arcp"}

__all__ = ["log_softmax", "log_softmax_backward", "softmax", "softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward"]


def _float_dtype(a: np.ndarray) -> type:
    """float64 stays float64; everything else computes in float32."""
    return np.float64 if a.dtype == np.float64 else np.float32


def _split(a: np.ndarray, axis: int, dtype: type) -> np.ndarray:
    """C-contiguous ``(outer, K, inner)`` view of ``a`` around ``axis`` (no transpose copy)."""
    a = np.ascontiguousarray(a, dtype=dtype)
    axis = axis % a.ndim
    outer = int(np.prod(a.shape[:axis], dtype=np.int64))
    return a.reshape(outer, a.shape[axis], -1)


# Softmax kernels see (outer, K, inner): one prange iteration per (outer, inner) line owns
# its K outputs. For the last axis (inner == 1) a line is a contiguous row.


@njit(cache=True, parallel=True, fastmath=_FAST)
def _log_softmax_kernel(x, out):
    n_outer, k, n_inner = x.shape
    zero = x.dtype.type(0)
    for p in prange(n_outer * n_inner):
        o = p // n_inner
        i = p - o * n_inner
        m = x[o, 0, i]
        for j in range(1, k):
            if x[o, j, i] > m:
                m = x[o, j, i]
        s = zero
        for j in range(k):
            s += np.exp(x[o, j, i] - m)
        shift = m + np.log(s)
        for j in range(k):
            out[o, j, i] = x[o, j, i] - shift


@njit(cache=True, parallel=True, fastmath=_FAST)
def _softmax_kernel(x, out):
    n_outer, k, n_inner = x.shape
    zero = x.dtype.type(0)
    one = x.dtype.type(1)
    for p in prange(n_outer * n_inner):
        o = p // n_inner
        i = p - o * n_inner
        m = x[o, 0, i]
        for j in range(1, k):
            if x[o, j, i] > m:
                m = x[o, j, i]
        s = zero
        for j in range(k):
            e = np.exp(x[o, j, i] - m)
            out[o, j, i] = e
            s += e
        inv = one / s
        for j in range(k):
            out[o, j, i] *= inv


@njit(cache=True, parallel=True, fastmath=_FAST)
def _log_softmax_backward_kernel(grad, out, dx):
    n_outer, k, n_inner = grad.shape
    zero = grad.dtype.type(0)
    for p in prange(n_outer * n_inner):
        o = p // n_inner
        i = p - o * n_inner
        s = zero
        for j in range(k):
            s += grad[o, j, i]
        for j in range(k):
            dx[o, j, i] = grad[o, j, i] - np.exp(out[o, j, i]) * s


@njit(cache=True, parallel=True, fastmath=_FAST)
def _softmax_backward_kernel(grad, out, dx):
    n_outer, k, n_inner = grad.shape
    zero = grad.dtype.type(0)
    for p in prange(n_outer * n_inner):
        o = p // n_inner
        i = p - o * n_inner
        s = zero
        for j in range(k):
            s += grad[o, j, i] * out[o, j, i]
        for j in range(k):
            dx[o, j, i] = out[o, j, i] * (grad[o, j, i] - s)


def _apply(kernel, arrays: tuple[np.ndarray, ...], axis: int) -> np.ndarray:
    """Run a softmax-family kernel over ``arrays`` along ``axis``; result shaped like them."""
    first = np.asarray(arrays[0])
    if first.ndim == 0:
        raise ValueError("softmax needs an array with at least one axis")
    dt = _float_dtype(first)
    if first.size == 0:
        return np.zeros(first.shape, dt)
    parts = [_split(a, axis, dt) for a in arrays]
    out = np.empty_like(parts[0])
    kernel(*parts, out)
    return out.reshape(first.shape)


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``x - max - log(sum(exp(x - max)))`` along ``axis``.

    Example:
        >>> np.exp(log_softmax(np.array([1.0, 1.0]), 0)).round(6).tolist()
        [0.5, 0.5]
    """
    return _apply(_log_softmax_kernel, (x,), axis)


def log_softmax_backward(grad: np.ndarray, out: np.ndarray, axis: int) -> np.ndarray:
    """Gradient of :func:`log_softmax`: ``grad - exp(out) * sum(grad, axis)``.

    Example:
        >>> out = log_softmax(np.array([0.0, 0.0]), 0)
        >>> log_softmax_backward(np.array([1.0, 0.0]), out, 0).tolist()
        [0.5, -0.5]
    """
    return _apply(_log_softmax_backward_kernel, (grad, out), axis)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``.

    Example:
        >>> softmax(np.array([[0.0, np.log(3.0)]]), 1).round(6).tolist()
        [[0.25, 0.75]]
    """
    return _apply(_softmax_kernel, (x,), axis)


def softmax_backward(grad: np.ndarray, out: np.ndarray, axis: int) -> np.ndarray:
    """Gradient of :func:`softmax`: ``out * (grad - sum(grad * out, axis))``.

    Example:
        >>> softmax_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0).tolist()
        [0.25, -0.25]
    """
    return _apply(_softmax_backward_kernel, (grad, out), axis)


@njit(cache=True, parallel=True, fastmath=_FAST)
def _cross_entropy_forward_kernel(logits, target, smoothing, loss, probs):
    n_rows, k = logits.shape
    zero = logits.dtype.type(0)
    one = logits.dtype.type(1)
    ls = logits.dtype.type(smoothing)
    for r in prange(n_rows):
        m = logits[r, 0]
        for j in range(1, k):
            if logits[r, j] > m:
                m = logits[r, j]
        s = zero
        total = zero  # sum of (x - m): mean of -logp without cancellation against m
        for j in range(k):
            d = logits[r, j] - m
            e = np.exp(d)
            probs[r, j] = e
            s += e
            total += d
        log_s = np.log(s)
        inv = one / s
        for j in range(k):
            probs[r, j] *= inv
        # -logp[c] = log_s - (x[c] - m); the smoothed term averages it over classes.
        nll = log_s - (logits[r, target[r]] - m)
        smooth = log_s - total / logits.dtype.type(k)
        # without smoothing the mean term is left out (0 * inf would turn a -inf target logit's
        # infinite loss into NaN; PyTorch gives inf)
        loss[r] = nll if ls == zero else (one - ls) * nll + ls * smooth


def cross_entropy_forward(logits: np.ndarray, target: np.ndarray,
                          label_smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample cross-entropy of 2-D ``logits`` (N, C) against int64 class indices (N,).

    ``loss_i = (1-ls) * -logp[i, t_i] + ls * mean_c(-logp[i, c])`` (PyTorch's
    ``label_smoothing``, no reduction). Returns ``(loss, probs)``: ``loss`` of shape (N,) and
    the softmax probabilities (N, C) that :func:`cross_entropy_backward` needs. Targets must
    lie in ``[0, C)``; the op layer checks that.

    Example:
        >>> loss, probs = cross_entropy_forward(np.zeros((1, 2)), np.array([1]), 0.0)
        >>> loss.round(4).tolist(), probs.tolist()
        ([0.6931], [[0.5, 0.5]])
    """
    dt = _float_dtype(np.asarray(logits))
    x = np.ascontiguousarray(logits, dtype=dt)
    t = np.ascontiguousarray(target, dtype=np.int64).reshape(-1)
    loss = np.zeros(x.shape[0], dt)  # stays zero only when C == 0 (nothing to run)
    probs = np.empty_like(x)
    if x.size:
        _cross_entropy_forward_kernel(x, t, float(label_smoothing), loss, probs)
    return loss, probs


@njit(cache=True, parallel=True, fastmath=_FAST)
def _cross_entropy_backward_kernel(grad_loss, probs, target, smoothing, dx):
    n_rows, k = probs.shape
    one = probs.dtype.type(1)
    ls = probs.dtype.type(smoothing)
    off = ls / probs.dtype.type(k)  # smoothed one-hot: ls/C everywhere, plus 1-ls at the target
    on = one - ls + off
    for r in prange(n_rows):
        g = grad_loss[r]
        t = target[r]
        for j in range(k):
            if j == t:
                dx[r, j] = (probs[r, j] - on) * g
            else:
                dx[r, j] = (probs[r, j] - off) * g


def cross_entropy_backward(grad_loss: np.ndarray, probs: np.ndarray, target: np.ndarray,
                           label_smoothing: float) -> np.ndarray:
    """Gradient w.r.t. the logits: ``(probs - smoothed_one_hot(target)) * grad_loss[:, None]``.

    ``smoothed_one_hot = (1-ls) * one_hot + ls / C``; ``grad_loss`` is the upstream gradient
    of the per-sample loss (shape (N,); ``1/N`` each for a mean reduction).

    Example:
        >>> cross_entropy_backward(np.ones(1), np.array([[0.5, 0.5]]), np.array([1]), 0.0).tolist()
        [[0.5, -0.5]]
    """
    dt = _float_dtype(np.asarray(probs))
    p = np.ascontiguousarray(probs, dtype=dt)
    g = np.ascontiguousarray(grad_loss, dtype=dt).reshape(-1)
    t = np.ascontiguousarray(target, dtype=np.int64).reshape(-1)
    dx = np.empty_like(p)
    if p.size:
        _cross_entropy_backward_kernel(g, p, t, float(label_smoothing), dx)
    return dx
