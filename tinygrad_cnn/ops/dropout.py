"""Dropout as one op: multiply by a random mask of ``0`` (probability ``p``) and ``1/(1-p)``.

The mask comes from the backend's counter-based ``dropout_mask`` kernel, a pure function of
``(shape, p, dtype, seed)``: the same seed gives the same mask on every device and run. The
backward multiplies the gradient by the mask saved in forward (the input itself is not kept).
``mask_shape`` smaller than the input (e.g. ``(N, C, 1, 1)``) drops whole channels; the mask
broadcasts over the rest.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.ones((2, 4), np.float32), requires_grad=True)
    >>> y = Dropout.apply(x, p=0.5, seed=3)
    >>> sorted(set(y.numpy().ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    >>> y.sum().backward()
    >>> bool((x.grad.numpy() == y.numpy()).all())
    True
"""
from __future__ import annotations

from ..autograd import Function


class Dropout(Function):
    """``x * dropout_mask(mask_shape or x.shape, p, x.dtype, seed)``; backward ``grad * mask``."""

    def forward(self, x, p: float, seed: int, mask_shape: tuple[int, ...] | None = None):
        be = self.backend
        shape = tuple(x.shape) if mask_shape is None else tuple(mask_shape)
        mask = be.dropout_mask(shape, float(p), x.dtype, int(seed))
        self.save(mask)
        return be.mul(x, mask)

    def backward(self, grad):
        (mask,) = self.saved
        # grad has the input's shape; a channel mask broadcasts over it
        return self.backend.mul(grad, mask)
