"""In-place SGD and Adam/AdamW updates on the GPU, one thread per parameter element.

Hyper-parameters are folded on the host (bias corrections, ``1 - dampening``, the decoupled
decay factor) and passed in the parameter's dtype, so a float32 update does float32 math.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> p, g = from_numpy(np.ones(2, np.float32)), from_numpy(np.ones(2, np.float32))
    >>> sgd_step(p, g, None, 0.5, 0.0, 0.0, 0.0, False, True)
    >>> to_numpy(p).tolist()
    [0.5, 0.5]
"""
from __future__ import annotations

import math
from typing import Any

from numba import cuda

from .._adam_rule import adam_element
from ._common import flat, kernel, scalar

__all__ = ["sgd_step", "adam_step"]


@kernel("void({t}[::1], {t}[::1], {t}[::1], {t}, {t}, {t}, {t}, boolean, boolean, boolean)")
def _sgd(p, g, buf, lr, momentum, one_minus_damp, wd, nesterov, first, use_momentum):
    i = cuda.grid(1)
    if i < p.size:
        d = g[i] + wd * p[i]
        if use_momentum:
            b = d if first else momentum * buf[i] + one_minus_damp * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        p[i] -= lr * d


_adam_element = cuda.jit(device=True)(adam_element)


@kernel("void({t}[::1], {t}[::1], {t}[::1], {t}[::1], {t}, {t}, boolean, {t}, {t}, {t}, {t}, "
        "{t}, {t}, boolean)")
def _adam(p, g, m, v, w1, rest_w1, low_weight, beta2, one_minus_b2, step_size, sqrt_bc2, eps,
          wd, decoupled):
    i = cuda.grid(1)
    if i < p.size:
        gi = g[i]
        pi = p[i]
        if decoupled:
            pi = pi * wd  # wd holds the factor 1 - lr * weight_decay here
        else:
            gi = gi + wd * pi
        p[i], m[i], v[i] = _adam_element(pi, gi, m[i], v[i], w1, rest_w1, low_weight, beta2,
                                         one_minus_b2, step_size, sqrt_bc2, eps)


def sgd_step(param: Any, grad: Any, momentum_buf: Any, lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool, first_step: bool) -> None:
    """PyTorch's SGD: ``d = g + wd*p``; with momentum ``buf = d`` on the first step, else
    ``buf = momentum*buf + (1-dampening)*d``; ``d = d + momentum*buf`` (Nesterov) or ``buf``;
    ``p -= lr*d``. Updates ``param`` (and ``momentum_buf``) in place."""
    t = param.dtype
    use_momentum = momentum != 0 and momentum_buf is not None
    buf = momentum_buf if use_momentum else param
    _sgd.launch(param.size, flat(param), flat(grad), flat(buf), scalar(t, lr),
                scalar(t, momentum), scalar(t, 1.0 - dampening), scalar(t, weight_decay),
                bool(nesterov), bool(first_step), bool(use_momentum))


def adam_step(param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, step: int, lr: float,
              beta1: float, beta2: float, eps: float, weight_decay: float,
              decoupled: bool) -> None:
    """Adam (L2 added to the gradient) or, with ``decoupled``, AdamW (``p *= 1 - lr*wd``),
    with bias corrections for ``step`` (counted from 1). Updates its first four arguments."""
    t = param.dtype
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    wd = 1.0 - lr * weight_decay if decoupled else weight_decay
    w1 = scalar(t, 1.0 - beta1)  # torch's lerp weight, as on the CPU
    _adam.launch(param.size, flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq),
                 w1, scalar(t, 1.0) - w1, bool((1.0 - beta1) < 0.5), scalar(t, beta2),
                 scalar(t, 1.0 - beta2), scalar(t, lr / bc1), scalar(t, math.sqrt(bc2)),
                 scalar(t, eps), scalar(t, wd), bool(decoupled))
