"""Whole conversions between tinygrad-cnn checkpoints and other formats (what ``tgcnn import``
and ``tgcnn export`` run): weights files by suffix, an import into a checkpoint, an export of
a checkpoint.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.interop import save_torch
    >>> from tinygrad_cnn.models import vgg11_bn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> args = {"num_classes": 10, "input_size": 32, "head": "small", "width": 0.125}
    >>> _ = save_torch(vgg11_bn(**args).state_dict(), tmp / "vgg.pth")
    >>> import_weights(tmp / "vgg.pth", "vgg11_bn", tmp / "vgg.h5", builder_args=args)
    PosixPath('.../vgg.h5')
    >>> export_checkpoint(tmp / "vgg.h5", tmp / "vgg.onnx")
    PosixPath('.../vgg.onnx')
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import one_line
from .errors import InteropError

TORCH_SUFFIXES = (".pt", ".pth", ".bin")
SAFETENSORS_SUFFIXES = (".safetensors",)
ONNX_SUFFIXES = (".onnx",)
#: torchvision's normalisation of ImageNet models, as fractions of the pixel range
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CONFIG_KEY = "tinygrad_cnn.config"  # safetensors metadata: the model configuration (JSON)


def _kind(path: str | os.PathLike[str], allowed: Sequence[str], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InteropError(f"{path}: cannot tell the {what} format from the suffix "
                           f"{suffix or '(none)'}; expected one of {', '.join(allowed)}")
    return suffix


def load_weights(path: str | os.PathLike[str]) -> "OrderedDict[str, np.ndarray]":
    """A state dict from a PyTorch (``.pt``/``.pth``/``.bin``) or ``.safetensors`` file.

    Example:
        >>> import tempfile; from pathlib import Path
        >>> import numpy as np
        >>> from tinygrad_cnn.interop import save_torch
        >>> path = save_torch({"features.0.weight": np.ones((2, 1, 3, 3), np.float32)},
        ...                   Path(tempfile.mkdtemp()) / "vgg.pt")
        >>> list(load_weights(path))
        ['features.0.weight']
    """
    from .safetensors_io import load_safetensors
    from .torch_load import load_torch

    suffix = _kind(path, TORCH_SUFFIXES + SAFETENSORS_SUFFIXES, "weights")
    if not Path(path).is_file():
        raise InteropError(f"{path}: no such file")
    return load_safetensors(path) if suffix in SAFETENSORS_SUFFIXES else load_torch(path)


def normalisation(channels: int, mean: Sequence[float] | None, std: Sequence[float] | None,
                  pixel_max: float = 255.0) -> tuple[list[float], list[float]]:
    """Per-channel mean and std in pixel units from fractions of the pixel range (default:
    torchvision's ImageNet values for 3 channels, mean 0 and std 1 otherwise).

    Example:
        >>> normalisation(1, [0.5], [0.25])
        ([127.5], [63.75])
    """
    if mean is None:
        mean = IMAGENET_MEAN if channels == 3 else (0.0,) * channels
    if std is None:
        std = IMAGENET_STD if channels == 3 else (1.0 / pixel_max,) * channels
    if len(mean) != channels or len(std) != channels or min(std) <= 0:
        raise InteropError(f"mean and std need {channels} values each (std > 0), got {list(mean)}"
                           f" and {list(std)}")
    return [float(m) * pixel_max for m in mean], [float(s) * pixel_max for s in std]


def import_weights(weights: str | os.PathLike[str], model_name: str,
                   out: str | os.PathLike[str], *, builder_args: Mapping[str, Any] | None = None,
                   classes: Sequence[str] | None = None, mean: Sequence[float] | None = None,
                   std: Sequence[float] | None = None) -> Path:
    """Build the registered model ``model_name(**builder_args)``, load ``weights`` into it
    strictly and save a normal checkpoint at ``out`` (class names, input shape and
    normalisation recorded, so eval, predict and fine-tuning accept it)."""
    from ..checkpoint import save_checkpoint
    from ..models import get_builder
    from ..nn.init import skip_init
    from .state import load_into

    args = dict(builder_args or {})
    state = load_weights(weights)  # read and checked before the model is built
    try:
        with skip_init():  # every weight is about to be loaded: drawing them is wasted time
            model = get_builder(model_name)(**args)
    except (TypeError, ValueError) as err:
        raise InteropError(f"cannot build {model_name} with {args}: {one_line(err)}") from None
    load_into(model, state, str(weights))
    size = args.get("input_size", 224)
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    shape = [int(args.get("in_channels", 3)), int(h), int(w)]
    k = int(args.get("num_classes", 1000))
    names = [str(c) for c in classes] if classes is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise InteropError(f"{len(names)} class names for a model with {k} classes; give one "
                           "name per class")
    m, s = normalisation(shape[0], mean, std)
    meta = {"dataset": "", "classes": names, "input_shape": shape, "mean": m, "std": s,
            "pixel_max": 255.0, "imported_from": os.path.basename(os.fspath(weights)),
            "builder": {"name": model_name, "args": json.loads(json.dumps(args))}}
    return save_checkpoint(out, model, metadata=meta)


def input_doc(meta: Mapping[str, Any]) -> str:
    """How to prepare the exported model's input, from a checkpoint's metadata."""
    mean, std = meta.get("mean"), meta.get("std")
    pixel_max = float(meta.get("pixel_max", 255.0))
    if mean is None or std is None:
        return "float32 images (N, C, H, W) as the model was trained on"
    return (f"float32 images (N, C, H, W): (pixels - mean) / std per channel, pixels in "
            f"[0, {pixel_max:g}], mean={[round(float(v), 6) for v in mean]}, "
            f"std={[round(float(v), 6) for v in std]}")


def export_checkpoint(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str],
                      input_shape: Sequence[int] | None = None) -> Path:
    """Export the checkpoint's model to ``out``: ``.safetensors`` (parameters and buffers under
    their PyTorch names + the configuration as metadata), ``.pt``/``.pth`` (a PyTorch state
    dict) or ``.onnx`` (input shape from the checkpoint unless ``input_shape`` is given)."""
    from ..checkpoint import load_checkpoint
    from .onnx_graph import export_onnx
    from .safetensors_io import save_safetensors
    from .torch_save import save_torch

    suffix = _kind(out, SAFETENSORS_SUFFIXES + TORCH_SUFFIXES[:2] + ONNX_SUFFIXES, "export")
    ckpt = load_checkpoint(checkpoint)
    model, meta = ckpt.model, ckpt.metadata
    if suffix in SAFETENSORS_SUFFIXES:
        info = {k: meta[k] for k in ("classes", "input_shape", "mean", "std") if k in meta}
        return save_safetensors(model.state_dict(), out,
                                {CONFIG_KEY: json.dumps(ckpt.config), "format": "pt",
                                 "tinygrad_cnn.data": json.dumps(info)})
    if suffix in TORCH_SUFFIXES:
        return save_torch(model.state_dict(), out)
    shape = input_shape if input_shape is not None else meta.get("input_shape")
    if shape is None:
        raise InteropError(f"{checkpoint} does not record its input shape; give it "
                           "(channels, height, width)")
    props = {"classes": json.dumps(list(meta.get("classes", []))),
             "input_normalisation": input_doc(meta)}
    return export_onnx(model, out, [int(v) for v in shape], doc=input_doc(meta), metadata=props)
