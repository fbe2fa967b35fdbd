"""Softmax, log-softmax and cross-entropy kernels on the CPU.

The wrappers move the reduced axis last and view the data as ``(rows, K)`` so every kernel
has one specialisation per dtype; ``prange`` runs over rows, each row owning its output.
All softmaxes subtract the row maximum before exponentiating (numerically stable).

Example:
    >>> log_softmax(np.zeros((1, 4)), axis=1).round(4).tolist()
    [[-1.3863, -1.3863, -1.3863, -1.3863]]
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["log_softmax", "log_softmax_backward", "softmax", "softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward"]


def _float_dtype(a: np.ndarray) -> type:
    """float64 stays float64; everything else computes in float32."""
    return np.float64 if a.dtype == np.float64 else np.float32


def _rows(a: np.ndarray, axis: int, dtype: type) -> np.ndarray:
    """C-contiguous ``(rows, K)`` array with ``axis`` moved last (copies only if needed)."""
    moved = np.moveaxis(np.asarray(a), axis, -1)
    return np.ascontiguousarray(moved, dtype=dtype).reshape(-1, moved.shape[-1])


def _unrows(r: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Inverse of :func:`_rows`: back to ``shape`` as a new C-contiguous array."""
    axis = axis % len(shape)
    moved_shape = shape[:axis] + shape[axis + 1:] + (shape[axis],)
    return np.ascontiguousarray(np.moveaxis(r.reshape(moved_shape), -1, axis))


@njit(cache=True, parallel=True)
def _log_softmax_kernel(x, out):
    n_rows, k = x.shape
    zero = x.dtype.type(0)
    for r in prange(n_rows):
        m = x[r, 0]
        for j in range(1, k):
            if x[r, j] > m:
                m = x[r, j]
        s = zero
        for j in range(k):
            s += np.exp(x[r, j] - m)
        shift = m + np.log(s)
        for j in range(k):
            out[r, j] = x[r, j] - shift


@njit(cache=True, parallel=True)
def _softmax_kernel(x, out):
    n_rows, k = x.shape
    zero = x.dtype.type(0)
    one = x.dtype.type(1)
    for r in prange(n_rows):
        m = x[r, 0]
        for j in range(1, k):
            if x[r, j] > m:
                m = x[r, j]
        s = zero
        for j in range(k):
            e = np.exp(x[r, j] - m)
            out[r, j] = e
            s += e
        inv = one / s
        for j in range(k):
            out[r, j] *= inv


@njit(cache=True, parallel=True)
def _log_softmax_backward_kernel(grad, out, dx):
    n_rows, k = grad.shape
    zero = grad.dtype.type(0)
    for r in prange(n_rows):
        s = zero
        for j in range(k):
            s += grad[r, j]
        for j in range(k):
            dx[r, j] = grad[r, j] - np.exp(out[r, j]) * s


@njit(cache=True, parallel=True)
def _softmax_backward_kernel(grad, out, dx):
    n_rows, k = grad.shape
    zero = grad.dtype.type(0)
    for r in prange(n_rows):
        s = zero
        for j in range(k):
            s += grad[r, j] * out[r, j]
        for j in range(k):
            dx[r, j] = out[r, j] * (grad[r, j] - s)


def _apply_rows(kernel, arrays: tuple[np.ndarray, ...], axis: int) -> np.ndarray:
    """Run a ``(rows, K)`` kernel over ``arrays`` reduced along ``axis``; result shaped like them."""
    shape = np.shape(arrays[0])
    dt = _float_dtype(np.asarray(arrays[0]))
    if len(shape) == 0 or 0 in shape:
        if len(shape) == 0:
            raise ValueError("softmax needs at least one axis")
        return np.zeros(shape, dt)
    rows = [_rows(a, axis, dt) for a in arrays]
    out = np.empty_like(rows[0])
    kernel(*rows, out)
    return _unrows(out, shape, axis)


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``x - max - log(sum(exp(x - max)))`` along ``axis``.

    Example:
        >>> np.exp(log_softmax(np.array([1.0, 1.0]), 0)).round(6).tolist()
        [0.5, 0.5]
    """
    return _apply_rows(_log_softmax_kernel, (x,), axis)


def log_softmax_backward(grad: np.ndarray, out: np.ndarray, axis: int) -> np.ndarray:
    """Gradient of :func:`log_softmax`: ``grad - exp(out) * sum(grad, axis)``.

    Example:
        >>> out = log_softmax(np.array([0.0, 0.0]), 0)
        >>> log_softmax_backward(np.array([1.0, 0.0]), out, 0).tolist()
        [0.5, -0.5]
    """
    return _apply_rows(_log_softmax_backward_kernel, (grad, out), axis)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``.

    Example:
        >>> softmax(np.array([[0.0, np.log(3.0)]]), 1).round(6).tolist()
        [[0.25, 0.75]]
    """
    return _apply_rows(_softmax_kernel, (x,), axis)


def softmax_backward(grad: np.ndarray, out: np.ndarray, axis: int) -> np.ndarray:
    """Gradient of :func:`softmax`: ``out * (grad - sum(grad * out, axis))``.

    Example:
        >>> softmax_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0).tolist()
        [0.25, -0.25]
    """
    return _apply_rows(_softmax_backward_kernel, (grad, out), axis)


@njit(cache=True, parallel=True)
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
        loss[r] = (one - ls) * nll + ls * smooth


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


@njit(cache=True, parallel=True)
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
