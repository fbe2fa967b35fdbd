"""ONNX exporters of the built-in layers (opset 17), one function per registered layer name.

Each is ``exporter(g, layer, x, sample) -> output name`` (see
:mod:`tinygrad_cnn.layers.exporters`); ``sample`` is the layer's input for one image, used
for static sizes. ``Sequential`` is walked by :func:`~.onnx_graph.export_layer` itself.

Example:
    >>> sorted(BUILTIN)[:3]
    ['AdaptiveAvgPool2d', 'AvgPool2d', 'BatchNorm1d']
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backends._pool_windows import adaptive_axis
from .errors import InteropError


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, (int, np.integer)) else [int(a) for a in v]


def _pads(v: Any) -> list[int]:
    ph, pw = _pair(v)
    return [ph, pw, ph, pw]


def conv2d(g: Any, layer: Any, x: str, sample: Any) -> str:
    inputs = [x, g.weight("weight", layer.weight.numpy())]
    if layer.bias is not None:
        inputs.append(g.weight("bias", layer.bias.numpy()))
    return g.node("Conv", inputs, kernel_shape=_pair(layer.kernel_size),
                  strides=_pair(layer.stride), pads=_pads(layer.padding),
                  dilations=_pair(layer.dilation), group=int(layer.groups))


def linear(g: Any, layer: Any, x: str, sample: Any) -> str:
    w = layer.weight.numpy()
    if sample.ndim == 2:
        inputs = [x, g.weight("weight", w)]
        if layer.bias is not None:
            inputs.append(g.weight("bias", layer.bias.numpy()))
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [x, g.constant("weight_t", w.T)])
    return g.node("Add", [y, g.weight("bias", layer.bias.numpy())]) if layer.bias is not None \
        else y


def max_pool2d(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("MaxPool", [x], kernel_shape=_pair(layer.kernel_size),
                  strides=_pair(layer.stride), pads=_pads(layer.padding))


def avg_pool2d(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("AveragePool", [x], kernel_shape=_pair(layer.kernel_size),
                  strides=_pair(layer.stride), pads=_pads(layer.padding),
                  count_include_pad=int(layer.count_include_pad))


def _window_matrix(size: int, out: int) -> np.ndarray:
    """(out, size) averaging matrix of PyTorch's adaptive windows
    [floor(i * size / out), ceil((i + 1) * size / out))."""
    m = np.zeros((out, size), np.float32)
    axis = adaptive_axis(size, out)
    for i, (lo, hi) in enumerate(zip(axis.start, axis.end)):
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def adaptive_avg_pool2d(g: Any, layer: Any, x: str, sample: Any) -> str:
    h, w = sample.shape[2:]
    oh, ow = _pair(layer.output_size)
    if (oh, ow) == (1, 1):
        return g.node("GlobalAveragePool", [x])
    if h % oh == 0 and w % ow == 0:
        k = [h // oh, w // ow]
        return g.node("AveragePool", [x], kernel_shape=k, strides=k)
    # windows of unequal sizes: rows then columns as matrix products (exact, separable)
    y = g.node("MatMul", [x, g.constant("cols", _window_matrix(w, ow).T)])
    return g.node("MatMul", [g.constant("rows", _window_matrix(h, oh)), y])


def batch_norm(g: Any, layer: Any, x: str, sample: Any) -> str:
    if not layer.track_running_stats:
        raise InteropError(f"{g.prefix or 'a'} {type(layer).__name__} without running "
                           "statistics normalises with batch statistics even in evaluation "
                           "mode, which ONNX inference cannot express")
    c = layer.num_features
    weight = layer.weight.numpy() if layer.affine else np.ones(c, np.float32)
    bias = layer.bias.numpy() if layer.affine else np.zeros(c, np.float32)
    return g.node("BatchNormalization",
                  [x, g.weight("weight", weight), g.weight("bias", bias),
                   g.weight("running_mean", layer.running_mean.numpy()),
                   g.weight("running_var", layer.running_var.numpy())], epsilon=float(layer.eps))


def flatten(g: Any, layer: Any, x: str, sample: Any) -> str:
    nd = sample.ndim
    start, end = layer.start_dim % nd, layer.end_dim % nd
    if start == 1 and end == nd - 1:
        return g.node("Flatten", [x], axis=1)
    if start == end:
        return g.node("Identity", [x])
    shape = list(sample.shape[:start]) + [int(np.prod(sample.shape[start:end + 1]))] \
        + list(sample.shape[end + 1:])
    shape[0] = -1 if start == 0 else 0  # 0 copies the (dynamic) batch dimension
    return g.node("Reshape", [x, g.constant("shape", np.array(shape, np.int64))])


def _simple(op: str, **fixed: Any) -> Callable[..., str]:
    def export(g: Any, layer: Any, x: str, sample: Any) -> str:
        return g.node(op, [x], **fixed)
    export.__name__ = op.lower()
    return export


def leaky_relu(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("LeakyRelu", [x], alpha=float(layer.negative_slope))


def _along_dim(op: str) -> Callable[..., str]:
    def export(g: Any, layer: Any, x: str, sample: Any) -> str:
        return g.node(op, [x], axis=int(layer.dim))
    export.__name__ = op.lower()
    return export


def identity(g: Any, layer: Any, x: str, sample: Any) -> str:
    """Identity and Dropout (evaluation mode): no node at all."""
    return x


def _f32(g: Any, name: str, value: Any) -> str:
    return g.constant(name, np.asarray(value, np.float32))


def gelu(g: Any, layer: Any, x: str, sample: Any) -> str:
    """0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation (opset 17 has no Gelu)."""
    if layer.approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, _f32(g, "c", 0.044715)])])
        t = g.node("Tanh", [g.node("Mul", [inner, _f32(g, "k", np.sqrt(2 / np.pi))])])
    else:
        t = g.node("Erf", [g.node("Div", [x, _f32(g, "sqrt2", np.sqrt(2.0))])])
    half_x = g.node("Mul", [x, _f32(g, "half", 0.5)])
    return g.node("Mul", [half_x, g.node("Add", [t, _f32(g, "one", 1.0)])])


def silu(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


def relu6(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("Clip", [x, _f32(g, "min", 0.0), _f32(g, "max", 6.0)])


def elu(g: Any, layer: Any, x: str, sample: Any) -> str:
    return g.node("Elu", [x], alpha=float(layer.alpha))


def softplus(g: Any, layer: Any, x: str, sample: Any) -> str:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's rule)."""
    z = g.node("Mul", [x, _f32(g, "beta", layer.beta)])
    soft = g.node("Div", [g.node("Softplus", [z]), _f32(g, "beta_div", layer.beta)])
    linear = g.node("Greater", [z, _f32(g, "threshold", layer.threshold)])
    return g.node("Where", [linear, x, soft])


def layer_norm(g: Any, layer: Any, x: str, sample: Any) -> str:
    shape = layer.normalized_shape
    scale = layer.weight.numpy() if layer.elementwise_affine else np.ones(shape, np.float32)
    inputs = [x, g.weight("weight", scale)]
    if layer.elementwise_affine and layer.use_bias:
        inputs.append(g.weight("bias", layer.bias.numpy()))
    return g.node("LayerNormalization", inputs, axis=-len(shape), epsilon=float(layer.eps))


def group_norm(g: Any, layer: Any, x: str, sample: Any) -> str:
    """Instance normalisation of (N, groups, -1), reshaped back, then the per-channel affine
    (opset 17 has no GroupNormalization)."""
    groups = layer.num_groups
    grouped = g.node("Reshape", [x, g.constant("grouped", np.array([0, groups, -1], np.int64))])
    normed = g.node("InstanceNormalization",
                    [grouped, _f32(g, "ones", np.ones(groups)), _f32(g, "zeros", np.zeros(groups))],
                    epsilon=float(layer.eps))
    y = g.node("Reshape", [normed, g.node("Shape", [x])])
    if not layer.affine:
        return y
    per_channel = (1, layer.num_channels) + (1,) * (sample.ndim - 2)
    y = g.node("Mul", [y, g.weight("weight", layer.weight.numpy().reshape(per_channel))])
    return g.node("Add", [y, g.weight("bias", layer.bias.numpy().reshape(per_channel))])


def upsample(g: Any, layer: Any, x: str, sample: Any) -> str:
    """Resize with PyTorch's source-index rules: nearest = asymmetric + floor, bilinear =
    pytorch_half_pixel (or align_corners)."""
    if layer.mode == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}
    else:
        attrs = {"mode": "linear", "coordinate_transformation_mode":
                 "align_corners" if layer.align_corners else "pytorch_half_pixel"}
    if layer.size is None:
        sh, sw = (layer.scale_factor,) * 2 if isinstance(layer.scale_factor, (int, float)) \
            else layer.scale_factor
        scales = _f32(g, "scales", [1.0, 1.0, sh, sw])
        return g.node("Resize", [x, "", scales], **attrs)
    oh, ow = _pair(layer.size)
    batch_channels = g.node("Slice", [g.node("Shape", [x]), g.constant("start", np.array([0])),
                                      g.constant("end", np.array([2]))])
    sizes = g.node("Concat", [batch_channels, g.constant("hw", np.array([oh, ow]))], axis=0)
    return g.node("Resize", [x, "", "", sizes], **attrs)


#: registered layer name -> exporter; Sequential is walked by export_layer
BUILTIN: dict[str, Callable[..., str]] = {
    "SyncBatchNorm": batch_norm,  # in evaluation mode it is a BatchNorm
    "Conv2d": conv2d, "Linear": linear, "MaxPool2d": max_pool2d, "AvgPool2d": avg_pool2d,
    "AdaptiveAvgPool2d": adaptive_avg_pool2d, "BatchNorm1d": batch_norm,
    "BatchNorm2d": batch_norm, "Flatten": flatten, "ReLU": _simple("Relu"),
    "LeakyReLU": leaky_relu, "Sigmoid": _simple("Sigmoid"), "Tanh": _simple("Tanh"),
    "Softmax": _along_dim("Softmax"), "LogSoftmax": _along_dim("LogSoftmax"),
    "Identity": identity, "Dropout": identity, "GELU": gelu, "SiLU": silu, "ReLU6": relu6,
    "Hardswish": _simple("HardSwish"), "ELU": elu, "Softplus": softplus,
    "LayerNorm": layer_norm, "GroupNorm": group_norm, "Upsample": upsample,
}
