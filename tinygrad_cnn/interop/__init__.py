"""Weights and models in and out: PyTorch state-dict files (read without torch, written for
``torch.load(weights_only=True)``), safetensors, and ONNX export.

Names are PyTorch's state-dict names on every side (``features.0.weight``), so a model built
with torchvision's layer order exchanges weights with torchvision directly.

Example:
    >>> import tempfile; from pathlib import Path
    >>> from tinygrad_cnn.interop import load_torch, save_safetensors, save_torch
    >>> from tinygrad_cnn.models import vgg11_bn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    >>> state = load_torch(save_torch(model.state_dict(), tmp / "vgg11_bn.pth"))
    >>> save_safetensors(state, tmp / "vgg11_bn.safetensors")
    PosixPath('.../vgg11_bn.safetensors')
"""
from .convert import export_checkpoint, import_weights, load_weights
from .errors import InteropError
from .onnx_graph import OnnxGraph, build_onnx, export_onnx
from .safetensors_io import load_safetensors, save_safetensors, safetensors_metadata
from .state import load_into, unwrap_state_dict
from .torch_load import load_torch
from .torch_save import save_torch

__all__ = ["load_torch", "save_torch", "load_safetensors", "save_safetensors",
           "safetensors_metadata", "export_onnx", "build_onnx", "OnnxGraph", "load_into",
           "unwrap_state_dict", "load_weights", "import_weights", "export_checkpoint",
           "InteropError"]
