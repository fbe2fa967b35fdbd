"""Every docstring example of the data package runs and shows what it claims."""
import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import tinygrad_cnn.data as data

MODULES = sorted(m.name for m in pkgutil.iter_modules(data.__path__))


@pytest.mark.parametrize("name", ["__init__"] + MODULES)
def test_doctests(name):
    if name == "digits" and importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn not installed")  # checked without importing it (seconds)
    mod = data if name == "__init__" else importlib.import_module(f"tinygrad_cnn.data.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
