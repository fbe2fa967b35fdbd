"""The docstring examples of the tensor surface, nn.functional, the new layers and RMSprop."""
import doctest
import importlib

import pytest

MODULES = ["tinygrad_cnn.tensor", "tinygrad_cnn._operators", "tinygrad_cnn._methods",
           "tinygrad_cnn._methods_extra", "tinygrad_cnn.dtypes", "tinygrad_cnn.functions",
           "tinygrad_cnn.creation",
           "tinygrad_cnn.nn._activations", "tinygrad_cnn.nn._losses", "tinygrad_cnn.nn._spatial",
           "tinygrad_cnn.nn._fcommon", "tinygrad_cnn.nn.layers.group_norm",
           "tinygrad_cnn.nn.layers.loss", "tinygrad_cnn.nn.layers.upsample",
           "tinygrad_cnn.optim.rmsprop", "tinygrad_cnn.testing.parity",
           "tinygrad_cnn.backends.cpu.elementwise", "tinygrad_cnn.backends._geometry",
           "tinygrad_cnn.backends._dropout_hash", "tinygrad_cnn.backends._adam_rule"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
