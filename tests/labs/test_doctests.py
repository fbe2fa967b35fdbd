"""The docstring examples of the labs stay true."""
import doctest
import importlib

import pytest

MODULES = ["tinygrad_cnn.labs", "tinygrad_cnn.labs.result", "tinygrad_cnn.labs.draw",
           "tinygrad_cnn.labs.common", "tinygrad_cnn.labs.sobel", "tinygrad_cnn.labs.parameters",
           "tinygrad_cnn.labs.shapes", "tinygrad_cnn.labs.pooling",
           "tinygrad_cnn.labs.translation", "tinygrad_cnn.labs.shapes_model",
           "tinygrad_cnn.labs.filters", "tinygrad_cnn.labs.activations"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
