"""Compare a function on tinygrad_cnn tensors with the same function on PyTorch tensors:
values, dtype and gradients (PyTorch is imported only when a check runs).

Example:
    >>> import numpy as np
    >>> check_parity(lambda x: x.abs(), lambda x: x.abs(), [np.array([-1.0, 2.0])], np.float64)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import tensor

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}


def check_parity(ours: Callable[..., Any], theirs: Callable[..., Any],
                 arrays: Sequence[np.ndarray], dtype: Any, grad: Sequence[bool] = (True,),
                 seed: int = 0, device: str = "cpu") -> None:
    """``ours(*tensors)`` against ``theirs(*torch_tensors)``: values, dtype and the gradient
    of ``sum(g * out)`` for a random ``g`` w.r.t. each input flagged in ``grad``."""
    import torch
    tol = TOL[np.dtype(dtype).type]
    flags = list(grad) + [False] * (len(arrays) - len(grad))
    xs = [tensor(np.asarray(a, dtype), requires_grad=f, device=device)
          for a, f in zip(arrays, flags)]
    ts = [torch.tensor(np.asarray(a, dtype), requires_grad=f) for a, f in zip(arrays, flags)]
    out, ref = ours(*xs), theirs(*ts)
    if isinstance(ref, tuple):
        out, ref = out[0], ref[0]
    assert out.shape == tuple(ref.shape), (out.shape, tuple(ref.shape))
    assert str(out.dtype) == str(ref.dtype).replace("torch.", ""), (out.dtype, ref.dtype)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
    if not any(flags) or not ref.requires_grad:
        return
    g = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(dtype)
    out.backward(tensor(g, device=device))
    ref.backward(torch.tensor(g))
    for x, t, f in zip(xs, ts, flags):
        if f:
            want = np.zeros(tuple(t.shape), dtype) if t.grad is None else t.grad.numpy()
            got = np.zeros(x.shape, dtype) if x.grad is None else x.grad.numpy()
            np.testing.assert_allclose(got, want, **tol)
