"""Stateless layer functions with PyTorch's names, signatures, layouts and numerics.

Inputs are checked here, before any kernel runs, so that a mistake gives a ``ValueError`` or
``TypeError`` naming the op, the shapes received and what was expected.

Example:
    >>> import tinygrad_cnn as tg
    >>> import tinygrad_cnn.nn.functional as F
    >>> x = tg.randn(1, 3, 8, 8)
    >>> F.max_pool2d(F.relu(F.conv2d(x, tg.randn(4, 3, 3, 3), padding=1)), 2).shape
    (1, 4, 4, 4)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ops import elementwise as ew
from ..ops import loss as ls
from ..ops import norm as nm
from ..ops import pool as pl
from ..ops.conv import Conv2d
from ..ops.fused import Conv2dReLU
from ..ops.matmul import Linear
from ..random import next_seed
from ..tensor import FLOAT_DTYPES, Tensor, _normalize_axes

IntPair = int | Sequence[int]


def _pair(value: IntPair, name: str, op: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_float(x: Tensor, op: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {x.dtype}")


def _check_ndim(x: Tensor, ndims: tuple[int, ...], op: str, layout: str) -> None:
    if x.ndim not in ndims:
        raise ValueError(f"{op}: expected a {layout} input, got shape {x.shape}")


def _same_dtype(op: str, x: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{op}: input is {x.dtype} but a parameter is {t.dtype}; "
                            f"convert with .to(dtype=...)")


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution of an (N, C, H, W) input with an (O, C/groups, kH, kW) weight.

    Example:
        >>> sobel = tg.Tensor([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]], dtype="float32")
        >>> conv2d(tg.ones(1, 1, 6, 6), sobel).shape
        (1, 1, 4, 4)
    """
    s, p, d, g = _conv2d_geometry(input, weight, bias, stride, padding, dilation, groups,
                                  "conv2d")
    return Conv2d.apply(input, weight, bias, stride=s, padding=p, dilation=d, groups=g)


def conv2d_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
                padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """``relu(conv2d(...))`` as one fused op (one pass less over the output, each way).

    Example:
        >>> conv2d_relu(-tg.ones(1, 1, 3, 3), tg.ones(1, 1, 3, 3)).numpy().ravel()
        array([0.], dtype=float32)
    """
    s, p, d, g = _conv2d_geometry(input, weight, bias, stride, padding, dilation, groups,
                                  "conv2d_relu")
    return Conv2dReLU.apply(input, weight, bias, stride=s, padding=p, dilation=d, groups=g)


def _conv2d_geometry(input: Tensor, weight: Tensor, bias: Tensor | None, stride: IntPair,
                     padding: IntPair, dilation: IntPair, groups: int, op: str):
    """Checked ``(stride, padding, dilation, groups)`` of a convolution."""
    _check_float(input, op)
    _check_float(weight, op, "weight")
    _same_dtype(op, input, weight, bias)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D (out, in/groups, kH, kW) weight, got {weight.shape}")
    s, p, d = (_pair(stride, "stride", op, 1), _pair(padding, "padding", op, 0),
               _pair(dilation, "dilation", op, 1))
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if c % groups or o % groups:
        raise ValueError(f"{op}: in_channels {c} and out_channels {o} must both be divisible by "
                         f"groups={groups}")
    if cg * groups != c:
        raise ValueError(f"{op}: input has {c} channels but weight {weight.shape} expects "
                         f"{cg * groups} (= {cg} per group x {groups} groups)")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},), got {bias.shape}")
    oh, ow = _out_size(h, kh, s[0], p[0], d[0]), _out_size(w, kw, s[1], p[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: kernel {kh}x{kw} (dilation {d}) is larger than the padded input "
                         f"{h + 2 * p[0]}x{w + 2 * p[1]} of shape {input.shape}")
    return s, p, d, int(groups)


def _pool_geometry(input: Tensor, kernel_size: IntPair, stride: IntPair | None,
                   padding: IntPair, op: str) -> tuple[tuple[int, int], ...]:
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    h, w = input.shape[2:]
    if _out_size(h, k[0], s[0], p[0]) < 1 or _out_size(w, k[1], s[1], p[1]) < 1:
        raise ValueError(f"{op}: window {k[0]}x{k[1]} is larger than the padded input "
                         f"{h + 2 * p[0]}x{w + 2 * p[1]} of shape {input.shape}")
    return k, s, p


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0) -> Tensor:
    """Max pooling; ``stride`` defaults to ``kernel_size``.

    Example:
        >>> max_pool2d(tg.arange(16, dtype="float32").reshape(1, 1, 4, 4), 2).numpy().ravel()
        array([ 5.,  7., 13., 15.], dtype=float32)
    """
    k, s, p = _pool_geometry(input, kernel_size, stride, padding, "max_pool2d")
    return pl.MaxPool2d.apply(input, kernel=k, stride=s, padding=p)


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, count_include_pad: bool = True) -> Tensor:
    """Average pooling; ``stride`` defaults to ``kernel_size``."""
    k, s, p = _pool_geometry(input, kernel_size, stride, padding, "avg_pool2d")
    return pl.AvgPool2d.apply(input, kernel=k, stride=s, padding=p,
                              count_include_pad=bool(count_include_pad))


def adaptive_avg_pool2d(input: Tensor, output_size: IntPair) -> Tensor:
    """Average pooling to a fixed ``output_size`` with PyTorch's window placement."""
    op = "adaptive_avg_pool2d"
    _check_float(input, op)
    _check_ndim(input, (4,), op, "4-D (N, C, H, W)")
    size = _pair(output_size, "output_size", op, 1)
    return pl.AdaptiveAvgPool2d.apply(input, output_size=size)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` with an (out_features, in_features) weight."""
    op = "linear"
    _check_float(input, op)
    _check_float(weight, op, "weight")
    _same_dtype(op, input, weight, bias)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"{op}: input has {input.shape[-1] if input.ndim else 0} features "
                         f"(shape {input.shape}) but weight {weight.shape} expects "
                         f"{weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{op}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    rows = input.reshape(-1, input.shape[-1]) if input.ndim != 2 else input
    out = Linear.apply(rows, weight, bias)
    return out.reshape(input.shape[:-1] + (weight.shape[0],)) if input.ndim != 2 else out


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` where positive, else ``negative_slope * input``."""
    _check_float(input, "leaky_relu")
    return ew.LeakyRelu.apply(input, slope=float(negative_slope))


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim: int) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, max-subtracted for stability."""
    _check_float(input, "softmax")
    (axis,) = _normalize_axes(dim, input.ndim, "softmax")
    return ls.Softmax.apply(input, axis=axis)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed without overflow or log(0)."""
    _check_float(input, "log_softmax")
    (axis,) = _normalize_axes(dim, input.ndim, "log_softmax")
    return ls.LogSoftmax.apply(input, axis=axis)


def _check_target(input: Tensor, target: Any, op: str) -> Tensor:
    """Validate integer class targets for (N, C, ...) input; return them as an int64 tensor."""
    # host targets are checked before they are uploaded: no device round trip per step
    host = None if isinstance(target, Tensor) else np.asarray(target)
    labels = target if host is None else Tensor._wrap(host, "cpu")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}")
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C) or (N, C, ...), got {input.shape}")
    expected = (input.shape[0],) + input.shape[2:]
    if labels.shape != expected:
        raise ValueError(f"{op}: target shape {labels.shape} does not match input {input.shape}: "
                         f"expected {expected}")
    values = labels.numpy() if host is None else host
    classes = input.shape[1]
    if values.size and (values.min() < 0 or values.max() >= classes):
        bad = int(values.min()) if values.min() < 0 else int(values.max())
        raise ValueError(f"{op}: target {bad} is out of range for {classes} classes "
                         f"(expected 0..{classes - 1})")
    return labels if host is None else Tensor(host, dtype=np.int64, device=input.device)


def _classes_last(input: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C, d1, ...) -> (N*d1*..., C) rows, targets flattened to match."""
    if input.ndim == 2:
        return input, labels
    axes = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(axes).reshape(-1, input.shape[1]), labels.reshape(-1)


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C[, ...]) against integer class targets.

    Example:
        >>> cross_entropy(tg.zeros(2, 4), tg.Tensor([0, 3])).item()   # log(4)
        1.3862943649291992
    """
    op = "cross_entropy"
    _check_float(input, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    labels = _check_target(input, target, op)
    rows, flat = _classes_last(input, labels)
    loss = ls.CrossEntropy.apply(rows, flat.data, label_smoothing=float(label_smoothing))
    if reduction == "none" and input.ndim > 2:
        loss = loss.reshape(labels.shape)
    return _reduce(loss, reduction, op)


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C[, ...])."""
    op = "nll_loss"
    _check_float(input, op)
    labels = _check_target(input, target, op)
    rows, flat = _classes_last(input, labels)
    loss = -ls.PickClass.apply(rows, flat.data)
    if reduction == "none" and input.ndim > 2:
        loss = loss.reshape(labels.shape)
    return _reduce(loss, reduction, op)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input {input.shape} and target {target.shape} differ")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` in training."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    _check_float(input, "dropout")
    from ..backends import get_backend
    be = get_backend(input.device)
    mask = Tensor._wrap(be.dropout_mask(input.shape, float(p), input.dtype, next_seed()),
                        input.device)
    return input * mask


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of an (N, C) or (N, C, H, W) input over all but the channel axis.

    In training the batch statistics normalise and ``running_mean``/``running_var`` (when
    given) are updated in place with ``momentum``, the variance unbiased as in PyTorch.
    """
    op = "batch_norm"
    _check_float(input, op)
    _check_ndim(input, (2, 4), op, "(N, C) or (N, C, H, W)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},) for input {input.shape}, "
                             f"got {t.shape}")
    _same_dtype(op, input, weight, bias, running_mean, running_var)
    w = weight if weight is not None else Tensor(np.ones(c), dtype=input.dtype, device=input.device)
    b = bias if bias is not None else Tensor(np.zeros(c), dtype=input.dtype, device=input.device)
    if training:
        per_channel = input.numel() // c
        if per_channel < 2:
            raise ValueError(f"{op}: training needs more than one value per channel, got input "
                             f"{input.shape}")
        out = nm.BatchNormTrain.apply(input, w, b, eps=float(eps))
        ctx = out._ctx
        if running_mean is not None and running_var is not None:
            _update_running(out, input, running_mean, running_var, momentum, ctx)
        return out
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: evaluation mode needs running_mean and running_var")
    return nm.BatchNormEval.apply(input, running_mean.detach(), running_var.detach(), w, b,
                                  eps=float(eps))


def _update_running(out: Tensor, input: Tensor, running_mean: Tensor, running_var: Tensor,
                    momentum: float, ctx: Any) -> None:
    from ..backends import get_backend
    be = get_backend(input.device)
    if ctx is None:  # graph not recorded (no_grad): recompute the statistics
        _, mean, _, var = be.batch_norm_train_forward(
            input.data, be.full((input.shape[1],), 1.0, input.dtype),
            be.zeros((input.shape[1],), input.dtype), 0.0)
    else:
        mean, var = ctx.mean, ctx.var_unbiased
    m = float(momentum)
    running_mean.data = be.add(be.scalar_op(running_mean.data, "*", 1.0 - m), be.scalar_op(mean, "*", m))
    running_var.data = be.add(be.scalar_op(running_var.data, "*", 1.0 - m), be.scalar_op(var, "*", m))


def pad(input: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` lists (left, right) pairs from the last dimension backwards."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of at most {2 * input.ndim} values, got {pad}")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return input.pad(pairs, value)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim``."""
    return input.flatten(start_dim, end_dim)
