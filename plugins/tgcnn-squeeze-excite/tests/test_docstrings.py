"""The examples in the package's docstrings run and give what they show."""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

package = pytest.importorskip("tgcnn_squeeze_excite", reason="tgcnn_squeeze_excite is not installed: "
                              "pip install -e plugins/tgcnn-squeeze-excite")
import tinygrad_cnn as tg  # noqa: E402

MODULES = [package.__name__] + [f"{package.__name__}.{m.name}"
                                for m in pkgutil.iter_modules(package.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"np": np, "tg": tg})
    assert result.failed == 0
