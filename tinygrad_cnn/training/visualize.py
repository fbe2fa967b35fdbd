"""What the network sees: a layer's activation maps for one image, and the first conv
layer's learned filters (cnn-fundamentals.md, sections 3.5-3.8).

A layer is named by its dotted module name (``features.0``, as in ``named_modules()``); the
activation is captured with a forward hook, so any model works, not only ``Sequential`` ones.

Example:
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU())
    >>> maps = activation_maps(model, np.random.rand(1, 5, 5).astype(np.float32), "1")
    >>> maps.maps.shape, len(maps.order)
    ((4, 5, 5), 4)
    >>> first_conv(model)[0]
    '0'
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..autograd import no_grad
from ..errors import USAGE, TinygradCNNError
from ..nn.layers import Conv2d
from ..nn.module import Module
from ..tensor import Tensor
from .evaluation import model_device


class ModelLayerError(TinygradCNNError, KeyError):
    """The ``layer`` asked for is not a sub-module of the model (the message lists close
    names) or cannot be shown (it did not run, or is not a ``Conv2d``). Not to be confused
    with :class:`~tinygrad_cnn.layers.ModelLayerErrorError`: no registered layer *type* of
    that name."""

    kind = USAGE


def layer_names(model: Module) -> list[str]:
    """Dotted names of every sub-module (the root, named ``""``, excluded), in order.

    Example:
        >>> from tinygrad_cnn import nn
        >>> layer_names(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()))
        ['0', '1']
    """
    return [name for name, _ in model.named_modules() if name]


def find_layer(model: Module, name: str) -> Module:
    """The sub-module called ``name``, or :class:`ModelLayerError` naming close matches.

    Example:
        >>> from tinygrad_cnn import nn
        >>> type(find_layer(nn.Sequential(nn.ReLU()), "0")).__name__
        'ReLU'
    """
    modules = dict(model.named_modules())
    if name in modules and name:
        return modules[name]
    names = layer_names(model)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else \
        f"choose one of: {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}"
    raise ModelLayerError(f"the model has no layer {name!r}; {hint} "
                        f"(`tgcnn summary` lists the layer names)")


@dataclass
class ActivationMaps:
    """Activation maps (C, H, W) of one layer for one image, and their ranking.

    ``order`` lists channel indices from the most to the least activated (mean activation);
    ``scores`` holds those means per channel.
    """

    layer: str
    maps: np.ndarray
    scores: np.ndarray
    order: np.ndarray

    def ranked(self, limit: int | None = None) -> np.ndarray:
        """The maps, most activated first, at most ``limit`` of them.

        Example:
            >>> a = ActivationMaps("x", np.arange(8.0).reshape(2, 2, 2), np.array([1.5, 5.5]),
            ...                    np.array([1, 0]))
            >>> float(a.ranked(1)[0, 0, 0])
            4.0
        """
        idx = self.order if limit is None else self.order[:int(limit)]
        return self.maps[idx]


def activation_maps(model: Module, image: np.ndarray, layer: str) -> ActivationMaps:
    """Run ``image`` (C, H, W), already normalised, through ``model`` in eval mode and capture the
    output of ``layer``; a 1-D output (after ``Flatten``/``Linear``) gives 1x1 maps.

    Example:
        >>> from tinygrad_cnn import nn
        >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU())
        >>> a = activation_maps(model, np.ones((1, 5, 5), np.float32), "0")
        >>> a.layer, a.maps.shape[0]
        ('0', 4)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3:
        raise ValueError(f"activation_maps: expected one image (C, H, W), got shape {image.shape}")
    target = find_layer(model, layer)
    captured: list[np.ndarray] = []

    def hook(module: Module, inputs: tuple, output: Tensor) -> None:
        captured.append(np.array(output.numpy(), copy=True))

    with model.evaluating(), target.register_forward_hook(hook), no_grad():
        model(Tensor(image[None], device=model_device(model)))
    if not captured:
        raise ModelLayerError(f"layer {layer!r} did not run in the forward pass of the model; "
                            f"choose another layer")
    out = captured[-1][0]
    if out.ndim == 1:
        out = out[:, None, None]
    elif out.ndim != 3:
        raise ModelLayerError(f"layer {layer!r} produced shape {captured[-1].shape}, not maps "
                            f"(1, C, H, W) or features (1, F); choose another layer")
    scores = out.reshape(out.shape[0], -1).mean(axis=1)
    order = np.argsort(-scores, kind="stable")
    return ActivationMaps(layer, out, scores, order)


def first_conv(model: Module) -> tuple[str, Conv2d]:
    """Name and module of the first :class:`~tinygrad_cnn.nn.Conv2d` in module order.

    Example:
        >>> from tinygrad_cnn import nn
        >>> first_conv(nn.Sequential(nn.ReLU(), nn.Conv2d(3, 2, 3)))[0]
        '1'
    """
    for name, module in model.named_modules():
        if isinstance(module, Conv2d):
            return name, module
    raise ModelLayerError("the model has no Conv2d layer, so it has no filters to show")


def find_layer_name(model: Module, layer: str | None) -> str:
    """``layer`` checked against the model (:class:`ModelLayerError` with suggestions), or the
    first conv layer's name when ``layer`` is None.

    Example:
        >>> from tinygrad_cnn import nn
        >>> find_layer_name(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), None)
        '0'
    """
    if layer is None:
        return first_conv(model)[0]
    find_layer(model, layer)
    return layer


def conv_filters(model: Module, layer: str | None = None) -> tuple[str, np.ndarray]:
    """The weights (O, I, KH, KW) of ``layer`` (a Conv2d) or of the first conv layer.

    Example:
        >>> from tinygrad_cnn import nn
        >>> name, w = conv_filters(nn.Sequential(nn.Conv2d(3, 2, 3)))
        >>> name, w.shape
        ('0', (2, 3, 3, 3))
    """
    if layer is None:
        name, module = first_conv(model)
    else:
        name, module = layer, find_layer(model, layer)
        if not isinstance(module, Conv2d):
            raise ModelLayerError(f"layer {layer!r} is a {type(module).__name__}, not a Conv2d")
    return name, np.array(module.weight.numpy(), copy=True)


def filter_tiles(weights: np.ndarray) -> np.ndarray:
    """Tiles for a picture of filters: RGB (O, 3, KH, KW) when the layer sees 3 channels,
    otherwise one grey tile per kernel, filter after filter (O*I, KH, KW).

    Example:
        >>> filter_tiles(np.zeros((4, 2, 3, 3))).shape
        (8, 3, 3)
    """
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"filter weights must be (O, I, KH, KW), got shape {w.shape}")
    if w.shape[1] == 3:
        return w
    return w.reshape(-1, w.shape[2], w.shape[3])


def summarize_ranking(maps: ActivationMaps, top: int = 5) -> Sequence[tuple[int, float]]:
    """The ``top`` (channel, mean activation) pairs, most activated first.

    Example:
        >>> summarize_ranking(ActivationMaps("x", np.zeros((2, 1, 1)), np.array([0.1, 0.3]),
        ...                                  np.array([1, 0])), top=1)
        [(1, 0.3)]
    """
    return [(int(i), float(maps.scores[i])) for i in maps.order[:top]]
