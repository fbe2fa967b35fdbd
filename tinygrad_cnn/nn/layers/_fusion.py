"""Patterns ``Sequential`` runs as one fused op: ``Conv2d`` then ``ReLU`` (training and
inference), and ``Conv2d`` then an eval-mode ``BatchNorm2d`` [then ``ReLU``] under ``no_grad``
(BatchNorm folded into the convolution's weight and bias).

A layer with forward hooks, or whose ``forward`` was replaced on the instance, is never fused
(the hook or the replacement must see and make its own output).

Example:
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.layers import Conv2d, ReLU
    >>> out, used = run_fused([Conv2d(1, 2, 3), ReLU()], 0, tg.ones(1, 1, 4, 4))
    >>> out.shape, used
    ((1, 2, 2, 2), 2)
"""
from __future__ import annotations

from typing import Sequence

from ...autograd import is_grad_enabled
from ...ops.fused import fold_batch_norm
from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from .activation import ReLU
from .conv import Conv2d
from .norm import BatchNorm2d


def _plain(layer: Module, kind: type) -> bool:
    """Exactly ``kind``, without hooks or an instance-level ``forward`` replacing the class's."""
    return type(layer) is kind and not layer._forward_hooks and "forward" not in vars(layer)


def _foldable(layer: Module) -> bool:
    return (_plain(layer, BatchNorm2d) and not layer.training and layer.track_running_stats
            and not is_grad_enabled())


def run_fused(layers: Sequence[Module], i: int, x: Tensor) -> tuple[Tensor, int] | None:
    """Run the fusable pattern starting at ``layers[i]`` on ``x``: ``(output, layers used)``,
    or ``None`` when none starts there."""
    conv = layers[i]
    if not _plain(conv, Conv2d):
        return None
    j = i + 1
    weight, bias = conv.weight, conv.bias
    if j < len(layers) and _foldable(layers[j]):
        bn = layers[j]
        w, b = fold_batch_norm(
            weight.numpy(), None if bias is None else bias.numpy(), bn.running_mean.numpy(),
            bn.running_var.numpy(), bn.weight.numpy() if bn.affine else None,
            bn.bias.numpy() if bn.affine else None, bn.eps)
        weight, bias = Tensor(w, device=weight.device), Tensor(b, device=weight.device)
        j += 1
    relu = j < len(layers) and _plain(layers[j], ReLU)
    if j == i + 1 and not relu:
        return None
    geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
    if relu:
        return F.conv2d_relu(x, weight, bias, *geometry), j + 1 - i
    return F.conv2d(x, weight, bias, *geometry), j - i
