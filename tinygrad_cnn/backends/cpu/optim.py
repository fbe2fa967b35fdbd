"""In-place optimizer updates on the CPU with PyTorch's exact rules (SGD, Adam, AdamW).

Parameters and optimizer state are updated in place through flat ``reshape(-1)`` views, so
they must be C-contiguous float32/float64 arrays of one dtype; gradients are converted to
the parameter's dtype. Scalar hyper-parameters are cast to that dtype inside the kernels, so
float32 parameters see float32 arithmetic as in PyTorch. Every element owns itself: the
``prange`` loops are race-free.

Example:
    >>> p = np.ones(3, np.float32); buf = np.zeros(3, np.float32)
    >>> sgd_step(p, np.ones(3, np.float32), buf, 0.5, 0.0, 0.0, 0.0, False, True)
    >>> p.tolist()
    [0.5, 0.5, 0.5]
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._adam_rule import adam_element

__all__ = ["sgd_step", "adam_step"]


def _flat_state(a: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """Flat view of an array updated in place; refuse anything a view cannot reach."""
    if not isinstance(a, np.ndarray) or a.dtype != dtype or not a.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous {np.dtype(dtype).name} array")
    return a.reshape(-1)


def _param_view(param: np.ndarray) -> np.ndarray:
    if not isinstance(param, np.ndarray) or param.dtype not in (np.float32, np.float64):
        raise ValueError("param must be a float32 or float64 numpy array")
    return _flat_state(param, param.dtype, "param")


@njit(cache=True, parallel=True)
def _sgd_kernel(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    t = p.dtype.type
    lr_, mom, wd = t(lr), t(momentum), t(weight_decay)
    keep = t(1.0 - dampening)  # torch: buf.mul_(momentum).add_(d, alpha=1 - dampening)
    use_wd = weight_decay != 0.0
    use_mom = momentum != 0.0
    for i in prange(p.size):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        if use_mom:
            if first_step:
                b = d  # PyTorch: buf = clone(d_p), no dampening on the first step
            else:
                b = buf[i] * mom + keep * d
            buf[i] = b
            if nesterov:
                d = d + mom * b
            else:
                d = b
        p[i] = p[i] - lr_ * d


def sgd_step(param: np.ndarray, grad: np.ndarray, momentum_buf: np.ndarray, lr: float,
             momentum: float, dampening: float, weight_decay: float, nesterov: bool,
             first_step: bool) -> None:
    """One ``torch.optim.SGD`` step, updating ``param`` and ``momentum_buf`` in place.

    ``d = grad + weight_decay * param``; with ``momentum != 0``: ``buf = d`` on the first
    step (``first_step``), else ``buf = momentum*buf + (1-dampening)*d``; then ``d = d +
    momentum*buf`` (nesterov) or ``d = buf``; finally ``param -= lr * d``. With
    ``momentum == 0`` the buffer is neither read nor written (it may be ``None``).

    Example:
        >>> p = np.zeros(2); buf = np.zeros(2)
        >>> sgd_step(p, np.ones(2), buf, 1.0, 0.9, 0.0, 0.0, False, True)
        >>> sgd_step(p, np.ones(2), buf, 1.0, 0.9, 0.0, 0.0, False, False)
        >>> p.tolist(), buf.tolist()
        ([-2.9, -2.9], [1.9, 1.9])
    """
    p = _param_view(param)
    g = np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)
    if momentum != 0.0:
        buf = _flat_state(momentum_buf, param.dtype, "momentum_buf")
    else:
        buf = p[:0]  # never touched; keeps the kernel to one signature per dtype
    _sgd_kernel(p, g, buf, float(lr), float(momentum), float(dampening), float(weight_decay),
                bool(nesterov), bool(first_step))


_adam_element = njit(cache=True, inline="always")(adam_element)


@njit(cache=True, parallel=True)
def _adam_kernel(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled,
                 step_size, bc2_sqrt):
    t = p.dtype.type
    w1 = t(1.0 - beta1)  # lerp weight, as torch computes exp_avg.lerp_(grad, 1 - beta1)
    rest_w1 = t(1) - w1
    b2 = t(beta2)
    c2 = t(1.0 - beta2)
    eps_ = t(eps)
    wd = t(weight_decay)
    decay = t(1.0 - lr * weight_decay)  # AdamW: param *= 1 - lr*wd
    step_ = t(step_size)
    bc2 = t(bc2_sqrt)
    use_wd = weight_decay != 0.0
    low_weight = (1.0 - beta1) < 0.5
    for i in prange(p.size):
        x = p[i]
        d = g[i]
        if use_wd:
            if decoupled:
                x = x * decay
            else:
                d = d + wd * x
        p[i], m[i], v[i] = _adam_element(x, d, m[i], v[i], w1, rest_w1, low_weight, b2, c2,
                                         step_, bc2, eps_)


def adam_step(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
              step: int, lr: float, beta1: float, beta2: float, eps: float,
              weight_decay: float, decoupled: bool) -> None:
    """One ``torch.optim.Adam`` (or, with ``decoupled``, ``AdamW``) step, in place.

    ``step`` counts from 1 (the step being taken). Adam adds ``weight_decay * param`` to the
    gradient; AdamW multiplies ``param`` by ``1 - lr*weight_decay`` first. Then ``m =
    lerp(m, g, 1-beta1)``, ``v = beta2*v + (1-beta2)*g*g`` and ``param -= step_size * m /
    (sqrt(v)/sqrt(1-beta2**step) + eps)`` with ``step_size = lr/(1-beta1**step)``.

    Example:
        >>> p = np.ones(2); m = np.zeros(2); v = np.zeros(2)
        >>> adam_step(p, np.full(2, 3.0), m, v, 1, 0.1, 0.9, 0.999, 0.0, 0.0, False)
        >>> p.round(6).tolist()
        [0.9, 0.9]
    """
    p = _param_view(param)
    g = np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)
    m = _flat_state(exp_avg, param.dtype, "exp_avg")
    v = _flat_state(exp_avg_sq, param.dtype, "exp_avg_sq")
    step = int(step)
    # Bias corrections in Python float64, exactly as torch's single-tensor Adam does.
    step_size = lr / (1.0 - beta1 ** step)
    bc2_sqrt = (1.0 - beta2 ** step) ** 0.5
    _adam_kernel(p, g, m, v, float(lr), float(beta1), float(beta2), float(eps),
                 float(weight_decay), bool(decoupled), float(step_size), float(bc2_sqrt))
