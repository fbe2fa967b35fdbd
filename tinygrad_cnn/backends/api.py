"""The contract every backend (``cpu``, ``cuda``) fulfils.

Ops in :mod:`tinygrad_cnn.ops` are written once against these functions; a backend is a
module that defines every name in :data:`KERNEL_NAMES` with the signature documented in
:class:`Backend`. Arrays are the backend's own type (``numpy.ndarray`` on the CPU, a Numba
device array on CUDA); shapes are tuples of Python ints, dtypes are ``numpy.float32`` or
``numpy.float64`` for data and ``numpy.int64`` for indices. Functions never modify their
inputs, except the ``*_step`` optimizer updates and ``assign``/``setitem``, which update their
first arguments in place;
a result may share memory with an input (a reshape may be a view, ``to_numpy`` on the CPU is
the array itself), so callers treat arrays as immutable and only the optimizer writes into
parameters. Inputs may be assumed valid: the op layer checks shapes and dtypes and raises
readable errors before a kernel is called.

The elementwise family is two parametrised kernels, ``unary`` and ``binary`` (the op is an
argument, see :data:`UNARY_OPS` and :data:`BINARY_OPS`); the named shortcuts ``be.add(a, b)``,
``be.relu(a)``, ... are derived from them once (:mod:`._shortcuts`) in every backend package.

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn.backends import get_backend
    >>> be = get_backend("cpu")
    >>> be.to_numpy(be.relu(be.from_numpy(np.array([-1.0, 2.0], np.float32))))
    array([0., 2.], dtype=float32)
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ._pool_windows import PoolWindows

Array = Any
Shape = tuple[int, ...]
Pair = tuple[int, int]


class Backend(Protocol):
    # ---- array.py: moving data and making arrays ----
    def from_numpy(self, a: np.ndarray) -> Array:
        """Copy a host array onto this backend (C-contiguous, same dtype)."""

    def to_numpy(self, a: Array) -> np.ndarray:
        """Copy an array back to the host as a C-contiguous numpy array."""

    def zeros(self, shape: Shape, dtype: np.dtype) -> Array: ...
    def full(self, shape: Shape, value: float, dtype: np.dtype) -> Array: ...
    def arange(self, n: int, dtype: np.dtype) -> Array:
        """``[0, 1, ..., n - 1]`` in ``dtype`` (exact below ``2**24`` in float32, ``2**53`` in
        float64): the index vector factories (``arange``, ``linspace``, ``eye``) start from."""

    def astype(self, a: Array, dtype: np.dtype) -> Array: ...
    def copy(self, a: Array) -> Array: ...
    def all_finite(self, a: Array) -> bool:
        """True when no element is NaN or infinite."""

    def assign(self, dst: Array, src: Array) -> None:
        """Overwrite ``dst`` in place with ``src`` (broadcast to its shape, cast to its dtype):
        the one way in-place tensor ops write into existing storage."""

    def setitem(self, a: Array, index: Any, value: Array) -> None:
        """``a[index] = value`` in place with numpy's indexing and broadcasting."""

    # ---- elementwise.py: numpy broadcasting rules, result dtype = dtype of ``a`` ----
    def unary(self, op: str, a: Array, param: float = 0.0) -> Array:
        """``op(a)`` elementwise for ``op`` in :data:`UNARY_OPS`; ``param`` is the slope of
        ``leaky_relu`` (``a`` where ``a > 0`` else ``slope * a``). ``relu`` keeps NaN,
        ``sign`` is -1, 0 or 1 (NaN stays NaN), ``sigmoid`` never overflows."""

    def binary(self, op: str, a: Array, b: Array, param: float = 0.0) -> Array:
        """``a OP b`` with broadcasting for ``op`` in :data:`BINARY_OPS`: numpy's ``maximum``
        (NaN wins), ``eq`` (``1.0`` where equal else ``0.0``), ``floordiv`` (``floor(a / b)``,
        exact for integers), ``mod`` (Python's ``%``, the sign of ``b``), ``relu_backward``
        (``a * (b > 0)`` with NaN passing ``a``) and ``leaky_relu_backward`` (``a`` where
        ``b > 0`` else ``param * a``)."""

    def scalar_op(self, a: Array, op: str, value: float, reverse: bool = False) -> Array:
        """``a OP value`` (or ``value OP a`` when ``reverse``); op in ``+ - * / ** max``."""

    def where(self, cond: Array, a: Array, b: Array) -> Array:
        """``a`` where ``cond != 0`` else ``b``, all three broadcast; ``a``'s dtype."""

    # ---- reduce.py ----
    def sum(self, a: Array, axes: tuple[int, ...], keepdims: bool) -> Array: ...
    def max(self, a: Array, axes: tuple[int, ...], keepdims: bool) -> Array: ...

    # ---- movement.py: C-contiguous results (reshape may return a view) ----
    def reshape(self, a: Array, shape: Shape) -> Array: ...
    def permute(self, a: Array, axes: tuple[int, ...]) -> Array: ...
    def broadcast_to(self, a: Array, shape: Shape) -> Array: ...
    def pad(self, a: Array, pads: tuple[tuple[int, int], ...], value: float) -> Array:
        """Constant padding, one ``(before, after)`` pair per axis."""

    def getitem(self, a: Array, index: Any) -> Array:
        """``a[index]`` with numpy semantics (slices, ints, None, integer arrays)."""

    def getitem_backward(self, grad: Array, shape: Shape, index: Any) -> Array:
        """Zeros of ``shape`` with ``grad`` added at ``index`` (repeated indices accumulate)."""

    def take_along_class(self, a: Array, target: Array) -> Array:
        """``a[i, target[i]]`` for a 2-D ``a`` and an int64 ``target`` of length ``a.shape[0]``."""

    # ---- matmul.py ----
    def matmul(self, a: Array, b: Array, transpose_a: bool = False,
               transpose_b: bool = False) -> Array:
        """``np.matmul`` semantics for 2-D and batched (…, M, K) @ (…, K, N); the flags use an
        operand's last two axes swapped without copying it (``x @ W.T`` in ``linear``)."""

    # ---- conv.py: NCHW input, OIHW weight (I = in_channels // groups) ----
    def conv2d_forward(self, x: Array, w: Array, bias: Array | None, stride: Pair,
                       padding: Pair, dilation: Pair, groups: int) -> Array: ...
    def conv2d_backward_input(self, grad_out: Array, w: Array, x_shape: Shape, stride: Pair,
                              padding: Pair, dilation: Pair, groups: int) -> Array: ...
    def conv2d_backward_weight(self, grad_out: Array, x: Array, w_shape: Shape, stride: Pair,
                               padding: Pair, dilation: Pair, groups: int) -> Array: ...

    # ---- pool.py: windows from :mod:`._pool_windows` (one definition for both backends) ----
    def max_pool2d_forward(self, x: Array, kernel: Pair, stride: Pair,
                           padding: Pair) -> tuple[Array, Array]:
        """Return ``(out, argmax)`` over the windows of :func:`._pool_windows.pool_windows`
        (padding counts as -inf); ``argmax`` (int64, shape of ``out``) is the flat index
        ``h * W + w`` of the maximum inside its input plane (first maximum on ties)."""

    def max_pool2d_backward(self, grad_out: Array, argmax: Array, x_shape: Shape) -> Array: ...
    def avg_pool2d_forward(self, x: Array, windows: PoolWindows) -> Array:
        """Sum of each window over its divisor: average pooling (``pool_windows``) and
        adaptive average pooling (``adaptive_windows``) alike; (N, C, *windows.out_hw)."""

    def avg_pool2d_backward(self, grad_out: Array, windows: PoolWindows) -> Array:
        """Each output gradient over its divisor, added on its window; (N, C, *windows.in_hw)."""

    # ---- norm.py: batch norm over N, H, W of an (N, C, H, W) or (N, C) input ----
    def batch_norm_train_forward(self, x: Array, weight: Array, bias: Array,
                                 eps: float) -> tuple[Array, Array, Array, Array]:
        """Return ``(y, mean, invstd, var_unbiased)``, statistics of shape (C,)."""

    def batch_norm_eval_forward(self, x: Array, mean: Array, var: Array, weight: Array,
                                bias: Array, eps: float) -> Array: ...
    def batch_norm_backward(self, grad: Array, x: Array, weight: Array, mean: Array,
                            invstd: Array) -> tuple[Array, Array, Array]:
        """Training-mode backward; return ``(dx, dweight, dbias)``."""

    # ---- loss.py ----
    def log_softmax(self, x: Array, axis: int) -> Array: ...
    def log_softmax_backward(self, grad: Array, out: Array, axis: int) -> Array:
        """``grad - exp(out) * sum(grad, axis)``."""

    def softmax(self, x: Array, axis: int) -> Array: ...
    def softmax_backward(self, grad: Array, out: Array, axis: int) -> Array:
        """``out * (grad - sum(grad * out, axis))``."""

    def cross_entropy_forward(self, logits: Array, target: Array,
                              label_smoothing: float) -> tuple[Array, Array]:
        """Per-sample loss (N,) and softmax probabilities (N, C) for 2-D logits."""

    def cross_entropy_backward(self, grad_loss: Array, probs: Array, target: Array,
                               label_smoothing: float) -> Array:
        """``(probs - smoothed_one_hot(target)) * grad_loss[:, None]``."""

    # ---- random.py ----
    def dropout_mask(self, shape: Shape, p: float, dtype: np.dtype, seed: int) -> Array:
        """Entries ``0`` with probability ``p``, else ``1/(1-p)``; deterministic in ``seed``."""

    # ---- optim.py: in-place parameter updates with PyTorch's rules ----
    def sgd_step(self, param: Array, grad: Array, momentum_buf: Array, lr: float,
                 momentum: float, dampening: float, weight_decay: float, nesterov: bool,
                 first_step: bool) -> None: ...
    def adam_step(self, param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array,
                  step: int, lr: float, beta1: float, beta2: float, eps: float,
                  weight_decay: float, decoupled: bool) -> None:
        """Adam (L2 in the gradient) or, with ``decoupled``, AdamW (``p *= 1 - lr*wd``)."""

    # ==== selection, scans and indexing along one axis (sort.py, scan.py, index.py) ====
    # Added as one block for the tensor surface (sort/topk/argmax, cumsum/prod, all/any,
    # gather, one_hot) so these ops never round-trip through the host on a device.
    # Every dtype of a tensor is accepted; ``axis`` is a non-negative int < ``a.ndim``.
    def argmax(self, a: Array, axis: int) -> Array:
        """int64 index of the first maximum along ``axis`` (removed); a NaN is the maximum."""

    def argmin(self, a: Array, axis: int) -> Array:
        """int64 index of the first minimum along ``axis`` (removed); a NaN is the minimum."""

    def sort(self, a: Array, axis: int, descending: bool) -> tuple[Array, Array]:
        """Stable sort along ``axis``: ``(values, int64 indices)``; NaN counts as the largest
        value (last ascending, first descending) and ties keep their order (PyTorch's
        ``stable=True``)."""

    def cumsum(self, a: Array, axis: int, reverse: bool) -> Array:
        """Running sum along ``axis`` in ``a``'s dtype; ``reverse`` sums from the end."""

    def prod(self, a: Array, axis: int, keepdims: bool) -> Array:
        """Product along ``axis`` in ``a``'s dtype (1 over an empty axis)."""

    def cumprod_exclusive(self, a: Array, axis: int, reverse: bool) -> Array:
        """Product of the elements strictly before each one along ``axis`` (strictly after
        with ``reverse``); 1 at the start. ``prod``'s gradient is the product of both."""

    def all(self, a: Array, axes: tuple[int, ...], keepdims: bool) -> Array:
        """bool: every element over ``axes`` is non-zero (True over nothing)."""

    def any(self, a: Array, axes: tuple[int, ...], keepdims: bool) -> Array:
        """bool: some element over ``axes`` is non-zero (False over nothing)."""

    def gather(self, a: Array, axis: int, index: Array) -> Array:
        """``torch.gather``: ``out[..i..] = a[..index[..i..]..]`` along ``axis``; ``index`` is
        int64 with ``a``'s rank, no larger than ``a`` off ``axis``, entries in ``[-n, n)``."""

    def gather_backward(self, grad: Array, axis: int, index: Array, shape: Shape) -> Array:
        """Zeros of ``shape`` with ``grad`` added where :meth:`gather` read (repeats add up,
        in a fixed order: deterministic)."""

    def one_hot(self, index: Array, num_classes: int) -> Array:
        """int64 ``(*index.shape, num_classes)``: 1 at each (valid, int64) class index."""

    def compare(self, a: Array, b: Array, op: str) -> Array:
        """bool ``a OP b`` with broadcasting, op in ``== != < <= > >=`` (IEEE: NaN is unequal
        to everything); ``a`` and ``b`` share one dtype."""

    def take(self, a: Array, index: Array) -> Array:
        """Rows ``a[index]`` for a 1-D int64 ``index`` with entries in ``[-n, n)``."""

    def take_backward(self, grad: Array, index: Array, n: int) -> Array:
        """Zeros of ``(n, *grad.shape[1:])`` with each ``grad[r]`` added to row ``index[r]``
        (repeats add up, in index order: deterministic)."""

    def flatnonzero(self, mask: Array, count: int) -> Array:
        """int64 positions of the non-zero entries of a 1-D ``mask``, in order (``x[mask]``
        without the data leaving the device); ``count`` is how many there are (the caller
        has it from ``sum``)."""


KERNEL_NAMES: tuple[str, ...] = tuple(
    name for name in Backend.__dict__ if not name.startswith("_"))

UNARY_OPS: tuple[str, ...] = ("neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu",
                              "leaky_relu", "abs", "sign", "floor", "erf", "bitwise_not")
"""The ops of :meth:`Backend.unary`; each backend module also exposes ``be.OP(a[, param])``.
The ``bitwise_*`` ops take integer and bool arrays only (``bitwise_not`` of bool is logical
not), as numpy's ``invert``/``bitwise_and``/``bitwise_or``/``bitwise_xor``."""

BINARY_OPS: tuple[str, ...] = ("add", "sub", "mul", "div", "pow", "maximum", "eq", "floordiv",
                               "mod", "relu_backward", "leaky_relu_backward", "bitwise_and",
                               "bitwise_or", "bitwise_xor")
"""The ops of :meth:`Backend.binary`; each backend module also exposes ``be.OP(a, b[, param])``."""
