"""Export a model to ONNX: walk its layers, let each layer's exporter add nodes to an
:class:`OnnxGraph`, then check the model with ``onnx.checker`` (full check) and write it
atomically.

The graph has one input ``input`` of shape (N, C, H, W) with a symbolic batch dimension
``N`` and one output ``logits`` (N, K); weights are initializers under the model's PyTorch
names. Dropout is left out (evaluation mode); batch norm uses the running statistics.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.models import vgg11_bn
    >>> model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    >>> export_onnx(model, Path(tempfile.mkdtemp()) / "vgg.onnx", (3, 32, 32))
    PosixPath('.../vgg.onnx')
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import one_line
from .errors import InteropError, write_atomic

OPSET = 17
INPUT, OUTPUT, BATCH = "input", "logits", "N"


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise InteropError("ONNX export needs the onnx package: pip install onnx (or pip "
                           "install tinygrad-cnn[interop])") from None
    return onnx


class OnnxGraph:
    """The graph being built; what layer exporters (built-in and plugins) call.

    Example:
        >>> g = OnnxGraph()
        >>> y = g.node("Relu", ["x"])
        >>> g.nodes[0].op_type, y
        ('Relu', 'relu_0')
    """

    def __init__(self) -> None:
        self.onnx = _onnx()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()
        self.prefix = ""  # dotted name of the layer being exported

    def fresh(self, stem: str) -> str:
        """A name not used yet in the graph, built from ``stem``."""
        i = 0
        while f"{stem}_{i}" in self._names:
            i += 1
        self._names.add(f"{stem}_{i}")
        return f"{stem}_{i}"

    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, **attrs: Any) -> Any:
        """Add an ``op`` node; returns its output name (a list when ``n_out`` > 1)."""
        stem = (self.prefix + "." if self.prefix else "") + op.lower()
        outs = [self.fresh(stem) for _ in range(n_out)]
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outs,
                                                     name=self.fresh(stem + ".node"), **attrs))
        return outs[0] if n_out == 1 else outs

    def weight(self, name: str, array: Any) -> str:
        """Add an initializer under ``name`` prefixed with the layer's dotted name (the
        PyTorch state-dict name); returns the name."""
        full = f"{self.prefix}.{name}" if self.prefix else name
        if full in self._names:
            full = self.fresh(full)
        self._names.add(full)
        arr = np.asarray(array, order="C")
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, full))
        return full

    def constant(self, stem: str, array: Any) -> str:
        """Add an initializer that is not a parameter (shapes, axes, fixed matrices)."""
        name = self.fresh((self.prefix + "." if self.prefix else "") + stem)
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.asarray(array, order="C"), name))
        return name


def export_layer(g: OnnxGraph, layer: Any, x: str, sample: Any, prefix: str) -> tuple[str, Any]:
    """Add ``layer`` (and, for a ``Sequential``, its children) to ``g``; returns the output
    name and the layer's output on ``sample``."""
    from .. import layers
    from ..layers.exporters import find_exporter
    from .onnx_layers import BUILTIN

    try:
        kind = layers.name_of(type(layer))
    except layers.PluginError:
        kind = type(layer).__name__
    if kind == "Sequential":
        for name, child in layer.named_children():
            x, sample = export_layer(g, child, x, sample, f"{prefix}.{name}" if prefix else name)
        return x, sample
    exporter = BUILTIN.get(kind) or find_exporter(kind)
    if exporter is None:
        where = f" ({prefix})" if prefix else ""
        raise InteropError(f"layer {kind}{where} has no ONNX exporter: its plugin must supply "
                           f"one (entry-point group tinygrad_cnn.onnx_exporters, "
                           f"`{kind} = package.module:function`) or register one with "
                           f"tinygrad_cnn.layers.exporters.register_exporter")
    saved, g.prefix = g.prefix, prefix
    try:
        out = exporter(g, layer, x, sample)
    finally:
        g.prefix = saved
    return out, layer(sample)


def build_onnx(model: Any, input_shape: Sequence[int], *, doc: str = "",
               metadata: Mapping[str, str] | None = None, opset: int = OPSET) -> Any:
    """The checked ``onnx.ModelProto`` of ``model`` (evaluation mode) for inputs of shape
    (N, *input_shape)."""
    from ..autograd import no_grad
    from ..tensor import Tensor

    onnx = _onnx()
    if opset < OPSET:
        raise InteropError(f"opset must be {OPSET} or newer, got {opset}")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InteropError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    devices = {str(p.device) for p in model.parameters()}
    if devices - {"cpu"}:
        raise InteropError(f"the model is on {', '.join(sorted(devices))}; export reads its "
                           "weights on the CPU: call model.to('cpu') first")
    g = OnnxGraph()
    sample = Tensor(np.zeros((1, *shape), np.float32))
    with model.evaluating(), no_grad():
        out, result = export_layer(g, model, INPUT, sample, "")
    g.nodes.append(onnx.helper.make_node("Identity", [out], [OUTPUT], name="output"))
    f32 = onnx.TensorProto.FLOAT
    inp = onnx.helper.make_tensor_value_info(INPUT, f32, [BATCH, *shape])
    inp.doc_string = doc
    outp = onnx.helper.make_tensor_value_info(OUTPUT, f32, [BATCH, *result.shape[1:]])
    graph = onnx.helper.make_graph(g.nodes, "tinygrad_cnn", [inp], [outp], g.initializers)
    from .. import __version__
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="tinygrad-cnn", producer_version=__version__)
    proto.ir_version = min(proto.ir_version, 9)  # readable by current runtimes
    proto.doc_string = doc
    onnx.helper.set_model_props(proto, dict(metadata or {}))
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as err:  # onnx raises ValidationError / InferenceError
        raise InteropError(f"the exported graph fails onnx.checker: {one_line(err)[:300]}") \
            from None
    return proto


def export_onnx(model: Any, path: str | os.PathLike[str], input_shape: Sequence[int], *,
                doc: str = "", metadata: Mapping[str, str] | None = None,
                opset: int = OPSET) -> Path:
    """Export ``model`` to the ONNX file ``path`` (atomically) for (N, *input_shape) float32
    inputs; ``doc`` documents the input (its normalisation), ``metadata`` becomes the model's
    metadata properties. Every layer needs an exporter (built-in, or supplied by its plugin);
    one without is a one-line :class:`InteropError` naming it.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> import onnx
        >>> from tinygrad_cnn import nn
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(),
        ...                       nn.Linear(4 * 30 * 30, 2))
        >>> path = export_onnx(model, Path(tempfile.mkdtemp()) / "model.onnx", (3, 32, 32),
        ...                    doc="pixels / 255")
        >>> [o.name for o in onnx.load(path).graph.output]
        ['logits']
    """
    proto = build_onnx(model, input_shape, doc=doc, metadata=metadata, opset=opset)
    data = proto.SerializeToString()
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))
