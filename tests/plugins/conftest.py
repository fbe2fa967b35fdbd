"""The example plugins as installed distributions: tests that need them skip (with the
command that installs them) when they are not installed, so the suite still runs."""
from __future__ import annotations

import importlib
import importlib.metadata as metadata
from types import ModuleType

import pytest

INSTALL = ('pip install -e ".[test]" ./plugins/tgcnn-sobel ./plugins/tgcnn-squeeze-excite '
           '(the README test command)')
#: layer name -> (distribution, package) of the example plugins in plugins/
EXAMPLES = {"SobelEdges": ("tgcnn-sobel", "tgcnn_sobel"),
            "SqueezeExcite": ("tgcnn-squeeze-excite", "tgcnn_squeeze_excite")}


def installed(layer: str) -> ModuleType:
    """The plugin package declaring ``layer``; skips the test when its distribution or its
    entry point is missing."""
    dist, package = EXAMPLES[layer]
    try:
        version = metadata.version(dist)
    except metadata.PackageNotFoundError:
        pytest.skip(f"example plugin {dist} is not installed: {INSTALL}")
    declared = [ep for ep in metadata.entry_points(group="tinygrad_cnn.layers")
                if ep.name == layer and ep.value.startswith(package + ".")]
    if not declared:
        pytest.skip(f"{dist} {version} is installed without its {layer} entry point: {INSTALL}")
    return importlib.import_module(package)


@pytest.fixture
def sobel() -> ModuleType:
    """The ``tgcnn_sobel`` package (skips when tgcnn-sobel is not installed)."""
    return installed("SobelEdges")


@pytest.fixture
def squeeze_excite() -> ModuleType:
    """The ``tgcnn_squeeze_excite`` package (skips when it is not installed)."""
    return installed("SqueezeExcite")
