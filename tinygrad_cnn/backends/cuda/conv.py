"""2-D convolution on the GPU as implicit GEMM (NCHW input, OIHW weight, groups).

All three passes run the tiled kernel of :mod:`._gemm`, reading im2col elements straight
from the input, so there is no im2col buffer and one launch per pass (per group-batch of
blocks, all in one grid):

* forward: ``out[g] = W[g] (O/g x C/g*KH*KW) @ im2col(x)[g] (.. x N*OH*OW)``, bias fused;
* input gradient: one C element per input element (``W[g]^T @ col2im-view(grad_out)``),
  summing every filter tap that touches it: race-free, no atomics;
* weight gradient: one C element per weight element, summing over batch and output
  pixels; when that sum is long and the weight small, it is split over several blocks
  that write separate partial slices, added up by one reduction launch (deterministic).

Example:
    >>> import numpy as np
    >>> from tinygrad_cnn.backends.cuda.array import from_numpy, to_numpy
    >>> x = from_numpy(np.ones((1, 1, 3, 3), np.float32))
    >>> w = from_numpy(np.ones((1, 1, 2, 2), np.float32))
    >>> to_numpy(conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
"""
from __future__ import annotations

from typing import Any

from .._geometry import out_size
from . import _gemm, _scratch as scratch
from ._common import SIMULATOR, TILE, blocks_for, empty, flat
from .array import zeros
from .reduce import sum as _sum

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "out_size"]

Pair = tuple[int, int]
# Aim for about this many blocks before splitting a weight-gradient sum (2 per SM on big
# GPUs); tiny under the simulator, where every thread is an OS thread.
_TARGET_BLOCKS = 4 if SIMULATOR else 264


def _geo(x_shape, w_shape, oh, ow, stride, padding, dilation, groups, has_bias):
    n, c, h, w = (int(v) for v in x_shape)
    o, _, kh, kw = (int(v) for v in w_shape)
    return (n, c, h, w, o, oh, ow, kh, kw, int(stride[0]), int(stride[1]), int(padding[0]),
            int(padding[1]), int(dilation[0]), int(dilation[1]), int(groups), int(has_bias))


def _launch(mode, a, b, out, bias, M, N, K, groups, geo, splits=1, kchunk=None):
    grid = (blocks_for(N, _gemm.BM), blocks_for(M, _gemm.BM), groups * splits)
    _gemm.gemm.grid(grid, (TILE, TILE), mode, flat(a), flat(b), flat(out), flat(bias), M, N,
                    K, K if kchunk is None else kchunk, splits, geo)


def conv2d_forward(x: Any, w: Any, bias: Any | None, stride: Pair, padding: Pair,
                   dilation: Pair, groups: int) -> Any:
    """Cross-correlation of ``x`` (N, C, H, W) with ``w`` (O, C/groups, KH, KW), plus bias.

    Example:
        >>> import numpy as np
        >>> from tinygrad_cnn.backends.cuda.array import from_numpy
        >>> x, w = from_numpy(np.ones((2, 4, 5, 5))), from_numpy(np.ones((6, 2, 3, 3)))
        >>> conv2d_forward(x, w, None, (2, 2), (1, 1), (1, 1), 2).shape
        (2, 6, 3, 3)
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = out_size(wd, kw, stride[1], padding[1], dilation[1])
    out = empty((n, o, oh, ow), x.dtype)
    geo = _geo(x.shape, w.shape, oh, ow, stride, padding, dilation, groups, bias is not None)
    _launch(_gemm.CONV_FWD, w, x, out, w if bias is None else bias, o // groups, n * oh * ow,
            cg * kh * kw, groups, geo)
    return out


def conv2d_backward_input(grad_out: Any, w: Any, x_shape: tuple[int, ...], stride: Pair,
                          padding: Pair, dilation: Pair, groups: int) -> Any:
    """Gradient of the convolution with respect to its input, of shape ``x_shape``."""
    n, c, h, wd = (int(v) for v in x_shape)
    o, cg, kh, kw = w.shape
    dx = empty((n, c, h, wd), grad_out.dtype)
    geo = _geo(x_shape, w.shape, grad_out.shape[2], grad_out.shape[3], stride, padding,
               dilation, groups, False)
    _launch(_gemm.CONV_DX, w, grad_out, dx, w, cg, n * h * wd, o // groups * kh * kw, groups,
            geo)
    return dx


def conv2d_backward_weight(grad_out: Any, x: Any, w_shape: tuple[int, ...], stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> Any:
    """Gradient of the convolution with respect to its weight, of shape ``w_shape``."""
    o, cg, kh, kw = (int(v) for v in w_shape)
    n = x.shape[0]
    ohw = grad_out.shape[2] * grad_out.shape[3]
    M, N, K = o // groups, cg * kh * kw, n * ohw
    if K == 0:
        return zeros(w_shape, x.dtype)
    geo = _geo(x.shape, w_shape, grad_out.shape[2], grad_out.shape[3], stride, padding,
               dilation, groups, False)
    blocks = blocks_for(N, _gemm.BM) * blocks_for(M, _gemm.BM) * groups
    # Split the K sum when the weight alone gives too few blocks, keeping >= 4 k-tiles each.
    splits = max(1, min(blocks_for(_TARGET_BLOCKS, blocks), K // (4 * TILE)))
    kchunk = blocks_for(blocks_for(K, splits), TILE) * TILE
    splits = blocks_for(K, kchunk)
    if splits == 1:
        dw = empty(w_shape, x.dtype)
        _launch(_gemm.CONV_DW, grad_out, x, dw, x, M, N, K, groups, geo)
        return dw
    part = scratch.take((splits, o, N), x.dtype)
    _launch(_gemm.CONV_DW, grad_out, x, part, x, M, N, K, groups, geo, splits, kchunk)
    dw = _sum(part, (0,), False).reshape(w_shape)
    scratch.give(part)  # later launches run after the reduction: safe to reuse
    return dw
