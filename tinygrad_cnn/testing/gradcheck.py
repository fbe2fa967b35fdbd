"""Float64 central differences against the analytic vector-Jacobian product."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def _scalarised(fn: Callable[..., Tensor], arrays: list[np.ndarray], upstream: np.ndarray,
                device: str) -> float:
    with no_grad():
        out = fn(*[Tensor(a, dtype=np.float64, device=device) for a in arrays])
    return float(np.sum(out.numpy() * upstream))


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[np.ndarray | Tensor], *,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
              full_jacobian_below: int = 48, directions: int = 3, device: str = "cpu",
              check: Sequence[bool] | None = None) -> None:
    """Check ``fn``'s gradients w.r.t. each input in float64; raise :class:`GradcheckError`.

    With a random upstream gradient ``g``, the analytic ``d sum(g * fn(x)) / dx`` is compared
    with central differences: coordinate by coordinate for inputs of fewer than
    ``full_jacobian_below`` elements, else along ``directions`` random unit directions.
    The error message names every input shape, the output shape and the worst mismatch.

    Example:
        >>> import tinygrad_cnn.nn.functional as F
        >>> w = np.random.randn(2, 1, 3, 3)
        >>> gradcheck(lambda x, w: F.conv2d(x, w, padding=1), [np.random.randn(1, 1, 4, 4), w])
    """
    rng = np.random.default_rng(seed)
    arrays = [np.array(a.numpy() if isinstance(a, Tensor) else a, dtype=np.float64)
              for a in inputs]
    wanted = list(check) if check is not None else [True] * len(arrays)
    leaves = [Tensor(a, requires_grad=w, dtype=np.float64, device=device)
              for a, w in zip(arrays, wanted)]
    out = fn(*leaves)
    upstream = rng.standard_normal(out.shape)
    if out.requires_grad:
        out.backward(Tensor(upstream, dtype=np.float64, device=device))
    shapes = ", ".join(str(a.shape) for a in arrays)
    for i, (array, leaf) in enumerate(zip(arrays, leaves)):
        if not wanted[i]:
            continue
        analytic = np.zeros_like(array) if leaf.grad is None else leaf.grad.numpy()

        def value_at(shifted: np.ndarray) -> float:
            trial = list(arrays)
            trial[i] = shifted
            return _scalarised(fn, trial, upstream, device)

        if array.size < full_jacobian_below:
            probes = [np.eye(array.size)[k].reshape(array.shape) for k in range(array.size)]
        else:
            probes = [v / np.linalg.norm(v) for v in
                      (rng.standard_normal(array.shape) for _ in range(directions))]
        for v in probes:
            numeric = (value_at(array + eps * v) - value_at(array - eps * v)) / (2 * eps)
            predicted = float(np.sum(analytic * v))
            if not abs(numeric - predicted) <= atol + rtol * abs(numeric):
                where = ""
                if array.size < full_jacobian_below:
                    where = f" at index {np.unravel_index(int(np.argmax(v)), array.shape)}"
                raise GradcheckError(
                    f"gradient of input {i} wrong{where}: analytic {predicted:.8g} vs numeric "
                    f"{numeric:.8g} (|diff| {abs(numeric - predicted):.3g}, atol {atol}, "
                    f"rtol {rtol}); input shapes {shapes}, output shape {out.shape}")
