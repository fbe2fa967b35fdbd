"""Fixtures of the interop tests: PyTorch's VGG in torchvision's layout built from plain
``torch.nn`` (torchvision itself cannot be installed beside this torch), a batch of real
photographs, and the judges (torch, onnxruntime), skipped with the install command when
absent."""
from __future__ import annotations

import numpy as np
import pytest

from .judges import real_batch, torchvision_vgg


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch", reason="the PyTorch checks need torch: "
                                               "pip install -e '.[test]'")


@pytest.fixture(scope="session")
def ort():
    return pytest.importorskip("onnxruntime", reason="the ONNX checks need onnxruntime: "
                                                     "pip install -e '.[test]'")


@pytest.fixture(scope="session")
def images() -> np.ndarray:
    """Eight 32x32 crops of scikit-learn's two sample photographs, normalised as
    torchvision's ImageNet models expect: float32 (8, 3, 32, 32)."""
    return real_batch(8, 32)


@pytest.fixture(scope="session")
def torch_vgg(torch):
    """torchvision-layout vgg11_bn, small head, width 0.125, 10 classes, with random weights
    and batch-norm statistics, in evaluation mode."""
    torch.manual_seed(0)
    model = torchvision_vgg(torch, num_classes=10, width=0.125, input_size=32)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


PLUGINS = "pip install ./plugins/tgcnn-sobel ./plugins/tgcnn-squeeze-excite"


@pytest.fixture
def sobel():
    """The example plugin ``tgcnn_sobel`` (skips when it is not installed)."""
    return pytest.importorskip("tgcnn_sobel", reason=f"example plugin missing: {PLUGINS}")


@pytest.fixture
def squeeze_excite():
    """The example plugin ``tgcnn_squeeze_excite`` (skips when it is not installed)."""
    return pytest.importorskip("tgcnn_squeeze_excite",
                               reason=f"example plugin missing: {PLUGINS}")
