"""The layer's ONNX exporter, declared in the entry-point group ``tinygrad_cnn.onnx_exporters``
so that ``tgcnn export model.h5 model.onnx`` covers models using ``SqueezeExcite``.

It only calls the graph builder that tinygrad-cnn hands it (no ``onnx`` import here):
GlobalAveragePool -> Flatten -> Gemm (fc1) -> Relu -> Gemm (fc2) -> Sigmoid -> Unsqueeze ->
Mul with the input. The weights keep their state-dict names (``<layer>.fc1.weight``...).

Example:
    >>> from tinygrad_cnn.interop import OnnxGraph
    >>> g = OnnxGraph()
    >>> out = export_squeeze_excite(g, SqueezeExcite(8), "x", None)
    >>> [n.op_type for n in g.nodes][-2:]
    ['Unsqueeze', 'Mul']
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .layer import SqueezeExcite  # noqa: F401 (the layer this exports; used by the example)


def export_squeeze_excite(g: Any, layer: Any, x: str, sample: Any) -> str:
    """Add ``x * sigmoid(fc2(relu(fc1(mean_hw(x)))))`` to the graph ``g``; returns its output."""
    def linear(x_name: str, name: str, fc: Any) -> str:
        return g.node("Gemm", [x_name, g.weight(f"{name}.weight", fc.weight.numpy()),
                               g.weight(f"{name}.bias", fc.bias.numpy())], transB=1)

    squeezed = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    hidden = g.node("Relu", [linear(squeezed, "fc1", layer.fc1)])
    scales = g.node("Sigmoid", [linear(hidden, "fc2", layer.fc2)])
    axes = g.constant("axes", np.array([2, 3], np.int64))
    return g.node("Mul", [x, g.node("Unsqueeze", [scales, axes])])
