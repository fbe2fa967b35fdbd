"""How much a stored model configuration would allocate, checked before anything is built.

A checkpoint's ``model/config`` is only a few bytes of JSON, but ``Conv2d(12000, 12000, 3)``
asks for 5 GB of weights. Before :func:`~tinygrad_cnn.layers.from_config` runs, every
configuration node's parameter count is worked out from its arguments (exactly for the
built-in layers that hold parameters, as the product of its integer arguments for a plugin
layer) and the total is compared with the parameter elements the file actually stores: a
configuration that would allocate more than the file justifies is refused without
allocating anything.

Example:
    >>> conv = {"type": "Conv2d", "args": {"in_channels": 3, "out_channels": 8,
    ...                                    "kernel_size": 3}}
    >>> implied_elements(conv)
    224
"""
from __future__ import annotations

import math
from typing import Any, Iterator

from .errors import CheckpointError

#: layers that hold no parameters or buffers (the other built-ins are sized exactly below)
_NO_STATE = {"MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "ReLU", "LeakyReLU", "Sigmoid",
             "Tanh", "Softmax", "LogSoftmax", "Flatten", "Identity", "Dropout", "Sequential"}
#: elements a configuration may imply beyond what the file stores (plugin layers whose
#: arguments are not sizes: a few MiB at most)
SLACK = 1 << 20
#: most configuration nodes a checkpoint may hold
MAX_NODES = 100_000
#: sane bounds of the geometry arguments of the built-in layers (real networks stay far
#: below: the activations of a forward pass grow with them, not with the stored weights)
MAX_GEOMETRY = {"kernel_size": 1024, "stride": 1024, "dilation": 1024, "output_size": 16_384,
                "padding": 256}
_GEOMETRY_LAYERS = {"Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"}


def _int(value: Any, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, list) and len(value) == 2:
        return _int(value[0]), _int(value[1])
    return _int(value), _int(value)


def _flag(value: Any) -> bool:
    return value is not False


def _node_elements(kind: str, args: dict[str, Any]) -> int:
    if kind in _NO_STATE:
        return 0
    if kind == "Conv2d":
        out = max(_int(args.get("out_channels")), 0)
        inp = max(_int(args.get("in_channels")), 0)
        groups = max(_int(args.get("groups")), 1)
        kh, kw = _pair(args.get("kernel_size"))
        return out * (inp // groups) * max(kh, 0) * max(kw, 0) + out * _flag(args.get("bias"))
    if kind == "Linear":
        out, inp = max(_int(args.get("out_features")), 0), max(_int(args.get("in_features")), 0)
        return out * inp + out * _flag(args.get("bias"))
    if kind in ("BatchNorm1d", "BatchNorm2d", "SyncBatchNorm"):
        c = max(_int(args.get("num_features")), 0)
        return c * (2 * _flag(args.get("affine")) + 2 * _flag(args.get("track_running_stats")))
    # a plugin layer: its sizes are among its integer arguments
    return math.prod(max(abs(v), 1) for v in _ints(args))


def _ints(value: Any) -> Iterator[int]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            yield v
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _nodes(config: Any) -> Iterator[dict[str, Any]]:
    stack = [config]
    count = 0
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        count += 1
        if count > MAX_NODES:
            raise CheckpointError(f"the model configuration has more than {MAX_NODES} layers")
        kind = node.get("type")
        args = node.get("args")
        if kind in _GEOMETRY_LAYERS and isinstance(args, dict):
            _check_geometry(kind, args)
        name = node.get("name")
        if isinstance(name, str) and name.startswith("__"):
            raise CheckpointError(f"the model configuration names a layer {name[:40]!r}; "
                                  "names starting with '__' are reserved")
        yield node
        children = node.get("layers")
        if isinstance(children, list):
            stack.extend(children)


def _check_geometry(kind: str, args: dict[str, Any]) -> None:
    for arg, bound in MAX_GEOMETRY.items():
        for v in _ints(args.get(arg)):
            if abs(v) > bound:
                raise CheckpointError(f"its {kind} layer has {arg} {v}, beyond the sane bound "
                                      f"of {bound}")


def implied_elements(config: Any) -> int:
    """The number of parameter and buffer elements building ``config`` would allocate (an
    upper bound for plugin layers).

    Example:
        >>> implied_elements({"type": "Linear", "args": {"in_features": 60000,
        ...                                              "out_features": 60000}})
        3600060000
    """
    total = 0
    for node in _nodes(config):
        args = node.get("args")
        kind = node.get("type")
        if isinstance(kind, str):
            total += _node_elements(kind, args if isinstance(args, dict) else {})
    return total


def check_budget(config: Any, stored_elements: int, label: str) -> None:
    """Refuse ``config`` when building it would allocate more elements than the file's
    ``stored_elements`` parameter elements (plus :data:`SLACK`), before allocating anything.

    Example:
        >>> check_budget({"type": "BatchNorm2d", "args": {"num_features": 10**10}}, 40, "m.h5")
        Traceback (most recent call last):
        tinygrad_cnn.checkpoint.errors.CheckpointError: m.h5: its model configuration declares 40000000000 parameter elements but the file stores 40: the configuration is damaged or forged; refusing to build it
    """
    try:
        implied = implied_elements(config)
    except CheckpointError as err:
        raise CheckpointError(f"{label}: {err}: the file is damaged") from None
    if implied > stored_elements + SLACK:
        raise CheckpointError(f"{label}: its model configuration declares {implied} parameter "
                              f"elements but the file stores {stored_elements}: the "
                              "configuration is damaged or forged; refusing to build it")
