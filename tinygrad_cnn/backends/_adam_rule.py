"""The Adam/AdamW update of one parameter element, written once for both backends.

Plain Python on scalars of the parameter's dtype: the CPU backend compiles it with
``njit(inline="always")``, the CUDA backend as a device function, so both devices follow
PyTorch's form: ``m = lerp(m, g, 1 - beta1)`` (torch.lerp's two-branch formula, exact at the
ends), ``v = beta2*v + (1-beta2)*g*g`` and ``p -= step_size * (m / (sqrt(v)/bc2_sqrt + eps))``.
Weight decay (Adam's L2 or AdamW's decoupled factor) is applied by the caller first.

Example (the first step with ``lr=0.1``, ``beta1=0.9``, ``beta2=0.999``, ``eps=0``):
    >>> p, m, v = adam_element(1.0, 3.0, 0.0, 0.0, 0.1, 0.9, True, 0.999, 0.001, 1.0,
    ...                        math.sqrt(0.001), 0.0)
    >>> round(p, 6), round(m, 6), round(v, 6)
    (0.9, 0.3, 0.009)
"""
from __future__ import annotations

import math

__all__ = ["adam_element"]


def adam_element(x, d, a, s, w1, rest_w1, low_weight, b2, c2, step_size, bc2_sqrt,  # noqa: ANN001
                 eps):  # noqa: ANN001, ANN201 (dtype scalars, compiled by both backends)
    """``(param, exp_avg, exp_avg_sq)`` after one step for parameter ``x``, gradient ``d``
    (weight decay already applied), moments ``a``/``s``; ``w1 = 1 - beta1`` with
    ``rest_w1 = 1 - w1`` and ``low_weight = w1 < 0.5`` (which lerp branch);
    ``c2 = 1 - beta2``; ``step_size = lr/(1-beta1**step)``, ``bc2_sqrt = sqrt(1-beta2**step)``.

    Example:
        >>> adam_element(2.0, 0.0, 0.0, 0.0, 0.1, 0.9, True, 0.999, 0.001, 0.5, 1.0, 1.0)
        (2.0, 0.0, 0.0)
    """
    if low_weight:
        a = a + w1 * (d - a)
    else:
        a = d - (d - a) * rest_w1
    s = s * b2 + c2 * d * d
    return x - step_size * (a / (math.sqrt(s) / bc2_sqrt + eps)), a, s
