"""2-D convolution (cross-correlation, as in PyTorch)."""
from __future__ import annotations

from ..autograd import Function, is_grad_enabled

Pair = tuple[int, int]


class Conv2d(Function):
    """``conv2d(x, w, bias)`` with NCHW input and OIHW weight."""

    def forward(self, x, w, bias, stride: Pair, padding: Pair, dilation: Pair, groups: int):
        self.geometry = (stride, padding, dilation, groups)
        self.save(x, w)
        self.has_bias = bias is not None
        return self.backend.conv2d_forward(x, w, bias, stride, padding, dilation, groups,
                                           **weight_plan(self))

    def backward(self, grad):
        x, w = self.saved
        return conv2d_grads(self, grad, x, w)


def weight_plan(fn: Function) -> dict:
    """Keyword arguments for the forward kernel of ``fn``: ``{"plan": d}`` with a new dict
    ``d``, kept in ``fn.weight_plan`` for the gradients, when the backend's convolution kernels
    carry transformed weights and inputs across (``CONV_WEIGHT_PLANS``) and a gradient will be
    computed; no arguments otherwise.

    Example:
        >>> from tinygrad_cnn.backends import get_backend
        >>> fn = Conv2d(); fn.backend = get_backend("cpu"); fn.needs_input_grad = (True, True)
        >>> weight_plan(fn)
        {'plan': {}}
    """
    fn.weight_plan = None
    if (getattr(fn.backend, "CONV_WEIGHT_PLANS", False) and is_grad_enabled()
            and any(fn.needs_input_grad[:2])):
        fn.weight_plan = {}
        return {"plan": fn.weight_plan}
    return {}


def conv2d_grads(fn: Function, grad, x, w):
    """The input, weight and bias gradients that ``fn`` (a convolution's :class:`Function`,
    with ``geometry`` and ``has_bias`` set by its forward) needs, from the output gradient."""
    be, needs = fn.backend, fn.needs_input_grad
    plan = getattr(fn, "weight_plan", None)
    kw = {} if plan is None else {"plan": plan}
    dx = dw = db = None
    if fn.has_bias and needs[2]:  # first, while the gradient just written is still in cache
        db = be.sum(grad, (0, 2, 3), False)
    if needs[0]:
        dx = be.conv2d_backward_input(grad, w, tuple(x.shape), *fn.geometry, **kw)
    if needs[1]:
        dw = be.conv2d_backward_weight(grad, x, tuple(w.shape), *fn.geometry, **kw)
    fn.weight_plan = None  # the transforms are no longer needed
    return dx, dw, db
