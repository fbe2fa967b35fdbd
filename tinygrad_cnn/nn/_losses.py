"""Loss functions of :mod:`tinygrad_cnn.nn.functional`, with PyTorch's signatures and numerics.

Example:
    >>> import tinygrad_cnn as tg
    >>> round(l1_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([0.0, 0.0])).item(), 4)
    1.5
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..functions import where
from ..ops import loss as ls
from ..tensor import Tensor
from ._fcommon import _check_float, _check_reduction, _check_same_shape, _reduce

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits"]


def _check_target(input: Tensor, target: Any, op: str,
                  ignore_index: int = -100) -> tuple[Tensor, bool]:
    """Validate integer class targets for (N, C, ...) input; return them as an int64 tensor
    and whether any equals ``ignore_index``."""
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
    ignored = bool(values.size and (values == ignore_index).any())
    if ignored:
        values = values[values != ignore_index]
    if values.size and (values.min() < 0 or values.max() >= classes):
        bad = int(values.min()) if values.min() < 0 else int(values.max())
        raise ValueError(f"{op}: target {bad} is out of range for {classes} classes "
                         f"(expected 0..{classes - 1})")
    return (labels if host is None else Tensor(host, dtype=np.int64, device=input.device)), ignored


def _classes_last(input: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C, d1, ...) -> (N*d1*..., C) rows, targets flattened to match."""
    if input.ndim == 2:
        return input, labels
    axes = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(axes).reshape(-1, input.shape[1]), labels.reshape(-1)


def _weighted_nll(logp: Tensor, labels: Tensor, weight: Tensor | None, ignore_index: int,
                  reduction: str, label_smoothing: float, op: str) -> Tensor:
    """PyTorch's class-weighted, ignore-aware (smoothed) NLL of (N, C) log-probabilities: the
    mean divides by the summed weights of the counted targets."""
    classes = logp.shape[1]
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.shape != (classes,):
            raise ValueError(f"{op}: weight must be a tensor of shape ({classes},), got "
                             f"{getattr(weight, 'shape', type(weight).__name__)}")
        weight = weight.to(dtype=logp.dtype)
    host = labels.numpy()
    keep = host != ignore_index
    safe = np.where(keep, host, 0).astype(np.int64)
    w_rows = (weight[safe] if weight is not None else
              Tensor(np.ones(len(safe)), dtype=logp.dtype, device=logp.device))
    w_rows = w_rows * Tensor(keep, dtype=logp.dtype, device=logp.device)
    picked = logp.gather(1, Tensor(safe.reshape(-1, 1), device=logp.device)).reshape(-1)
    loss = -(picked * w_rows)
    if label_smoothing:
        w_all = weight if weight is not None else Tensor(np.ones(classes), dtype=logp.dtype,
                                                          device=logp.device)
        keep_t = Tensor(keep, dtype=logp.dtype, device=logp.device)
        smooth = -(logp * w_all).sum(1) * keep_t * (1.0 / classes)
        loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing
    if reduction == "mean":
        return loss.sum() / w_rows.sum()
    return loss.sum() if reduction == "sum" else loss


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C[, ...]) against integer class targets,
    optionally class-``weight``-ed and skipping ``ignore_index`` targets.

    Example:
        >>> cross_entropy(Tensor(np.zeros((2, 4))), Tensor([0, 3])).item()   # log(4)
        1.3862943649291992
    """
    op = "cross_entropy"
    _check_float(input, op)
    _check_reduction(reduction, op)
    if isinstance(weight, str):
        raise TypeError(f"{op}: weight must be a tensor of class weights; pass reduction= by "
                        f"keyword (got weight={weight!r})")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    labels, ignored = _check_target(input, target, op, ignore_index)
    rows, flat = _classes_last(input, labels)
    if weight is not None or ignored:
        from .functional import log_softmax
        loss = _weighted_nll(log_softmax(rows, 1), flat, weight, ignore_index, reduction,
                             float(label_smoothing), op)
    else:                                              # the fused kernel of a training step
        loss = _reduce(ls.CrossEntropy.apply(rows, flat,
                                             label_smoothing=float(label_smoothing)),
                       reduction, op)
    if reduction == "none" and input.ndim > 2:
        loss = loss.reshape(labels.shape)
    return loss


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C[, ...])."""
    op = "nll_loss"
    _check_float(input, op)
    _check_reduction(reduction, op)
    labels, ignored = _check_target(input, target, op, ignore_index)
    rows, flat = _classes_last(input, labels)
    if weight is not None or ignored:
        loss = _weighted_nll(rows, flat, weight, ignore_index, reduction, 0.0, op)
    else:
        loss = _reduce(-ls.PickClass.apply(rows, flat), reduction, op)
    if reduction == "none" and input.ndim > 2:
        loss = loss.reshape(labels.shape)
    return loss


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    _check_same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error."""
    _check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Huber-like loss: ``0.5 d**2 / beta`` below ``beta``, ``|d| - 0.5 beta`` above."""
    _check_same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    loss = where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities ``input`` in [0, 1]; the logs are clamped at -100, as PyTorch."""
    op = "binary_cross_entropy"
    _check_same_shape(input, target, op)
    host = input.numpy()
    if host.size and (np.nanmin(host) < 0 or np.nanmax(host) > 1):
        raise ValueError(f"{op}: input values must lie in [0, 1] (probabilities); use "
                         "binary_cross_entropy_with_logits for logits")
    log_p = input.log().clamp(min=-100.0)
    log_q = (1 - input).log().clamp(min=-100.0)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, op)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of ``sigmoid(input)``, computed stably from the logits:
    ``(1 - y) x + (1 + (pw - 1) y) softplus(-x)``."""
    op = "binary_cross_entropy_with_logits"
    _check_same_shape(input, target, op)
    # softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)), finite for every x
    sp = (-input).clamp(min=0.0) + (1 + (-input.abs()).exp()).log()
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, op)
