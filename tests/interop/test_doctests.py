"""The docstring examples of the interop package, the exporter registry and the new CLI
commands stay true (examples that need files are marked to skip)."""
import doctest
import importlib

import pytest

MODULES = ["tinygrad_cnn.interop", "tinygrad_cnn.interop.errors", "tinygrad_cnn.interop.state",
           "tinygrad_cnn.interop.torch_load", "tinygrad_cnn.interop.torch_save",
           "tinygrad_cnn.interop.safetensors_io", "tinygrad_cnn.interop.onnx_graph",
           "tinygrad_cnn.interop.onnx_layers", "tinygrad_cnn.interop.convert",
           "tinygrad_cnn.layers.exporters"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if "onnx" in name:
        pytest.importorskip("onnx", reason="pip install -e '.[interop]'")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
