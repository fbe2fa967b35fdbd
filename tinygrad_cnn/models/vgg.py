"""VGG builders with torchvision's configurations, parameter names and initialisation.

``vgg16()`` is torchvision's VGG-16 (138,357,544 parameters, state-dict names
``features.0.weight`` ... ``classifier.6.bias``). The arguments adapt the same design to small
images: ``in_channels``, ``num_classes``, ``input_size`` (max-pools that would shrink the map
below 1x1 are left out), a ``width`` multiplier for the channel counts and the classifier
``head``: ``"imagenet"`` (adaptive 7x7 average pool, Linear(512*7*7, 4096), ReLU, Dropout,
Linear(4096, 4096), ReLU, Dropout, Linear(4096, num_classes)) or ``"small"`` (Flatten,
Linear(channels * h * w, hidden), ReLU, Dropout, Linear(hidden, num_classes)).

Initialisation as torchvision: conv weights Kaiming-normal (fan_out, ReLU), biases 0;
batch-norm weight 1, bias 0; Linear weights N(0, 0.01), biases 0.

Example:
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.init import skip_init
    >>> with skip_init():       # shapes only: drawing 138 M initial weights takes seconds
    ...     model = vgg16()
    >>> model.num_parameters()
    138357544
    >>> net = vgg11_bn(in_channels=1, num_classes=10, input_size=28, width=0.25, head="small")
    >>> net(tg.zeros(2, 1, 28, 28)).shape
    (2, 10)
"""
from __future__ import annotations

import contextlib
import inspect
from collections import OrderedDict
from typing import Sequence

from ..nn import init
from ..nn.layers import (AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear,
                         MaxPool2d, ReLU, Sequential)
from ..nn.module import Module

#: torchvision's configurations: channel counts, "M" = 2x2 max-pool with stride 2
CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
HEADS = ("imagenet", "small")


def _size_pair(input_size: int | Sequence[int]) -> tuple[int, int]:
    pair = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if len(pair) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                 for n in pair):
        raise ValueError(f"vgg: input_size must be a positive int or (height, width), got "
                         f"{input_size!r}")
    return pair  # type: ignore[return-value]


def make_features(cfg: Sequence[int | str], batch_norm: bool = False, in_channels: int = 3,
                  width: float = 1.0, input_size: int | Sequence[int] = 224
                  ) -> tuple[Sequential, int, tuple[int, int]]:
    """The convolutional body: 3x3 conv (pad 1) [+ BatchNorm] + ReLU per number, a 2x2
    max-pool per ``"M"`` unless it would shrink the map below 1x1.

    Returns the ``Sequential``, its output channels and its output (height, width).
    """
    h, w = _size_pair(input_size)
    layers: list[Module] = []
    channels = in_channels
    for item in cfg:
        if item == "M":
            if h // 2 >= 1 and w // 2 >= 1:
                layers.append(MaxPool2d(kernel_size=2, stride=2))
                h, w = h // 2, w // 2
            continue
        out = max(1, int(round(int(item) * width)))
        layers.append(Conv2d(channels, out, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(BatchNorm2d(out))
        layers.append(ReLU())
        channels = out
    return Sequential(*layers), channels, (h, w)


def init_vgg_weights(model: Module) -> Module:
    """torchvision's VGG initialisation, in place (see the module docstring)."""
    for m in model.modules():
        if isinstance(m, Conv2d):
            init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                init.zeros_(m.bias)
        elif isinstance(m, BatchNorm2d):
            init.ones_(m.weight)
            init.zeros_(m.bias)
        elif isinstance(m, Linear):
            init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                init.zeros_(m.bias)
    return model


def vgg(cfg: str | Sequence[int | str], *, batch_norm: bool = False, in_channels: int = 3,
        num_classes: int = 1000, input_size: int | Sequence[int] = 224, width: float = 1.0,
        head: str = "imagenet", hidden: int | None = None, dropout: float = 0.5,
        init_weights: bool = True) -> Sequential:
    """A VGG network: ``features`` then the classifier ``head`` (see the module docstring).

    ``cfg`` is a key of :data:`CONFIGS` ("A", "B", "D", "E") or a custom list. ``hidden``
    defaults to 4096 for the ImageNet head and ``round(512 * width)`` for the small head.
    """
    if head not in HEADS:
        raise ValueError(f"vgg: head must be one of {', '.join(HEADS)}, got {head!r}")
    if isinstance(cfg, str):
        if cfg not in CONFIGS:
            raise ValueError(f"vgg: unknown configuration {cfg!r}; expected one of "
                             f"{', '.join(CONFIGS)} or a list of channel counts and 'M'")
        cfg = CONFIGS[cfg]
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"vgg: {name} must be a positive int, got {value!r}")
    if isinstance(width, bool) or not isinstance(width, (int, float)) or width <= 0:
        raise ValueError(f"vgg: width must be a positive number, got {width!r}")
    # the layers' default init would be overwritten at once by torchvision's: skip drawing it
    with init.skip_init() if init_weights else contextlib.nullcontext():
        model = _assemble(cfg, batch_norm, in_channels, num_classes, input_size, width, head,
                          hidden, dropout)
    return init_vgg_weights(model) if init_weights else model


def _assemble(cfg: Sequence[int | str], batch_norm: bool, in_channels: int, num_classes: int,
              input_size: int | Sequence[int], width: float, head: str, hidden: int | None,
              dropout: float) -> Sequential:
    features, channels, (h, w) = make_features(cfg, batch_norm, in_channels, width, input_size)
    parts: OrderedDict[str, Module] = OrderedDict(features=features)
    if head == "imagenet":
        hidden = 4096 if hidden is None else hidden
        parts["avgpool"] = AdaptiveAvgPool2d((7, 7))
        parts["flatten"] = Flatten()
        parts["classifier"] = Sequential(
            Linear(channels * 7 * 7, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, hidden), ReLU(), Dropout(dropout), Linear(hidden, num_classes))
    else:
        hidden = max(1, int(round(512 * width))) if hidden is None else hidden
        parts["flatten"] = Flatten()
        parts["classifier"] = Sequential(
            Linear(channels * h * w, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, num_classes))
    return Sequential(parts)


def _builder(cfg: str, batch_norm: bool, name: str):  # type: ignore[no-untyped-def]
    def build(**kwargs: object) -> Sequential:
        return vgg(cfg, batch_norm=batch_norm, **kwargs)  # type: ignore[arg-type]

    build.__name__ = build.__qualname__ = name
    keep = [p for p in inspect.signature(vgg).parameters.values()
            if p.name not in ("cfg", "batch_norm")]
    build.__signature__ = inspect.Signature(keep, return_annotation="Sequential")  # type: ignore[attr-defined]
    depth = {"A": 11, "B": 13, "D": 16, "E": 19}[cfg]
    build.__doc__ = (f"VGG-{depth}{' with batch norm' if batch_norm else ''} (configuration "
                     f"{cfg}); keyword arguments as :func:`vgg`.")
    return build


vgg11 = _builder("A", False, "vgg11")
vgg11_bn = _builder("A", True, "vgg11_bn")
vgg13 = _builder("B", False, "vgg13")
vgg13_bn = _builder("B", True, "vgg13_bn")
vgg16 = _builder("D", False, "vgg16")
vgg16_bn = _builder("D", True, "vgg16_bn")
vgg19 = _builder("E", False, "vgg19")
vgg19_bn = _builder("E", True, "vgg19_bn")
