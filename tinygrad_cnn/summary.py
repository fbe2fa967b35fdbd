"""``summary(model, input_shape)``: a Keras-like table of layers, output shapes, parameters
and multiply-accumulates, found by one forward pass on zeros.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> result = tg.summary(nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU()), (3, 224, 224),
    ...                     verbose=False)
    >>> result.rows[0].output_shape, result.rows[0].params     # two 3x3x3 filters + 2 biases
    ((2, 222, 222), 56)
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Sequence, TextIO

import numpy as np

from .autograd import no_grad
from .tensor import Tensor

_MB = float(2 ** 20)


@dataclass(frozen=True)
class LayerRow:
    """One executed layer: its dotted name, type, output shape for one example (no batch
    dimension), the trainable parameters it owns and its multiply-accumulates per example."""

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class SummaryResult:
    """Rows plus totals (parameters over the whole model, memory in MiB for one example)."""

    input_shape: tuple[int, ...]
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    param_mb: float = 0.0          # parameters and buffers
    input_mb: float = 0.0
    activation_mb: float = 0.0     # every layer's output for one example

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape if self.rows else self.input_shape

    def as_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable) for the CLI and reports."""
        return {"input_shape": list(self.input_shape),
                "rows": [{"name": r.name, "type": r.type, "output_shape": list(r.output_shape),
                          "params": r.params, "macs": r.macs} for r in self.rows],
                "total_params": self.total_params, "trainable_params": self.trainable_params,
                "non_trainable_params": self.non_trainable_params, "total_macs": self.total_macs,
                "param_mb": self.param_mb, "input_mb": self.input_mb,
                "activation_mb": self.activation_mb}

    def __str__(self) -> str:
        header = ("Layer", "Type", "Output shape", "Params", "MACs")
        body = [(r.name or "(model)", r.type, "[" + ", ".join(["-1", *map(str, r.output_shape)])
                 + "]", f"{r.params:,}", f"{r.macs:,}") for r in self.rows]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(5)]

        def line(cells: Sequence[str]) -> str:
            left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3])]
            right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:])]
            return "  ".join(left + right)

        rule = "-" * len(line(header))
        total = self.param_mb + self.input_mb + self.activation_mb
        lines = [rule, line(header), "=" * len(rule), *map(line, body), "=" * len(rule),
                 f"Total params: {self.total_params:,}",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Non-trainable params: {self.non_trainable_params:,}",
                 f"Total MACs per example: {self.total_macs:,} ({self.total_macs / 1e9:.2f} G)",
                 rule,
                 f"Input size (MB): {self.input_mb:.2f}",
                 f"Forward activations, one example (MB): {self.activation_mb:.2f}",
                 f"Params + buffers size (MB): {self.param_mb:.2f}",
                 f"Estimated total size (MB): {total:.2f}",
                 rule]
        return "\n".join(lines)


def layer_macs(module: Any, input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one call for one example (shapes without the batch dimension).

    Conv2d: outputs x (in_channels / groups x kH x kW); Linear: outputs x in_features;
    batch norm: one per output element (a scale and shift once folded). A plugin layer may
    define ``macs(input_shape, output_shape)``; other layers (activations, pooling, shape)
    count 0: they are memory-bound, not arithmetic-bound.
    """
    from .nn.layers import BatchNorm1d, BatchNorm2d, Conv2d, Linear

    out = int(np.prod(output_shape, dtype=np.int64)) if output_shape else 1
    if isinstance(module, Conv2d):
        kh, kw = module.kernel_size
        return out * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, Linear):
        return out * module.in_features
    if isinstance(module, (BatchNorm1d, BatchNorm2d)):
        return out
    custom = getattr(module, "macs", None)
    if callable(custom):
        return int(custom(input_shape, output_shape))
    return 0


def _first_tensor(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _example_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else (input_shape,)
    if not shape or len(shape) > 4 or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
            for n in shape):
        raise ValueError(f"summary: input_shape must be 1 to 4 positive ints, e.g. (3, 224, 224) "
                         f"or (N, 3, 224, 224), got {input_shape!r}")
    # a 4-tuple carries a batch size: one example is enough for every figure
    return tuple(int(n) for n in (shape[1:] if len(shape) == 4 else shape))


def summary(model: Any, input_shape: Sequence[int], *, verbose: bool = True,
            file: TextIO | None = None, dtype: Any = None) -> SummaryResult:
    """Run ``model`` once on a zero example of ``input_shape`` (``(C, H, W)``; a 4-tuple is
    read as ``(N, C, H, W)`` and ``N`` ignored) and tabulate every executed leaf layer.

    The pass runs under ``no_grad`` in evaluation mode (each module's ``training`` flag is
    restored afterwards), on the device and float dtype of the model's parameters. Prints the
    table unless ``verbose=False``; returns a :class:`SummaryResult` either way.

    Example:
        >>> from tinygrad_cnn.models import vgg11
        >>> summary(vgg11(input_size=32, head="small"), (3, 32, 32), verbose=False).total_params
        9996136
    """
    from .nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a tinygrad_cnn.nn.Module, got {type(model).__name__}")
    example = _example_shape(input_shape)
    params = list(model.parameters())
    floats = [p for p in params if p.dtype.kind == "f"]
    device = floats[0].device if floats else "cpu"
    dt = np.dtype(dtype) if dtype is not None else (floats[0].dtype if floats else np.dtype(np.float32))

    names = {id(m): name for name, m in model.named_modules()}
    seen: set[int] = set()
    rows: list[LayerRow] = []

    def record(module: Any, inputs: tuple[Any, ...], output: Any) -> None:
        out = _first_tensor(output)
        inp = _first_tensor(inputs)
        out_shape = tuple(out.shape[1:]) if out is not None else ()
        in_shape = tuple(inp.shape[1:]) if inp is not None else ()
        owned = 0
        if id(module) not in seen:  # a layer called twice owns its parameters once
            seen.add(id(module))
            owned = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
        rows.append(LayerRow(names.get(id(module), "?"), type(module).__name__, out_shape,
                             owned, layer_macs(module, in_shape, out_shape)))

    handles = [m.register_forward_hook(record) for m in model.modules()
               if not any(True for _ in m.children())
               or any(True for _ in m.parameters(recurse=False))]
    try:
        x = Tensor(np.zeros((1, *example), dtype=dt), dtype=dt, device=device)
        with model.evaluating(), no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()

    itemsize = dt.itemsize
    state_bytes = sum(t.numel() * t.dtype.itemsize for t in [*params, *model.buffers()])
    activations = sum(int(np.prod(r.output_shape, dtype=np.int64)) for r in rows) * itemsize
    result = SummaryResult(
        input_shape=example, rows=rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        total_macs=sum(r.macs for r in rows),
        param_mb=state_bytes / _MB,
        input_mb=int(np.prod(example, dtype=np.int64)) * itemsize / _MB,
        activation_mb=activations / _MB)
    if verbose:
        print(result, file=file if file is not None else sys.stdout)
    return result
