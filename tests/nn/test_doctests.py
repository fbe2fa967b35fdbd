"""The docstring examples of the layer library, registry, models and summary stay true."""
import doctest
import importlib

import pytest

MODULES = ["tinygrad_cnn.nn", "tinygrad_cnn.nn.module", "tinygrad_cnn.nn._state",
           "tinygrad_cnn.nn.parameter", "tinygrad_cnn.nn.init",
           "tinygrad_cnn.nn.layers.conv", "tinygrad_cnn.nn.layers.linear",
           "tinygrad_cnn.nn.layers.pool", "tinygrad_cnn.nn.layers.activation",
           "tinygrad_cnn.nn.layers.norm", "tinygrad_cnn.nn.layers.dropout",
           "tinygrad_cnn.nn.layers.shape", "tinygrad_cnn.nn.layers.container",
           "tinygrad_cnn.layers", "tinygrad_cnn.layers.registry", "tinygrad_cnn.layers.config",
           "tinygrad_cnn.models", "tinygrad_cnn.models.vgg", "tinygrad_cnn.models.file"]


@pytest.mark.parametrize("name", MODULES + ["tinygrad_cnn.summary"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
