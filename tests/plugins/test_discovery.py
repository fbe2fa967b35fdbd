"""The installed example plugins are found through the ``tinygrad_cnn.layers`` entry points
like the built-in layers: listed with distribution and version, loaded on first use."""
from __future__ import annotations

import importlib.metadata as metadata
import json
import shutil
import subprocess
import sys

import pytest

import tinygrad_cnn.layers as layers
from tinygrad_cnn.layers import LayerNotFoundError

from .conftest import EXAMPLES


@pytest.fixture
def both(sobel, squeeze_excite):
    return {"SobelEdges": sobel, "SqueezeExcite": squeeze_excite}


def test_listed_with_distribution_and_version(both):
    layers.clear_cache()
    rows = {row.name: row for row in layers.available()}
    for name, package in both.items():
        dist, module = EXAMPLES[name]
        row = rows[name]
        assert row.distribution == dist
        assert row.version == metadata.version(dist) == package.__version__
        assert row.value == f"{module}.layer:{name}"
        assert row.error is None
    assert {"Conv2d", "SobelEdges", "SqueezeExcite"} <= set(layers.names())


def test_loaded_on_first_use_as_the_packages_own_class(both):
    for name, package in both.items():
        cls = layers.get(name)
        assert cls is getattr(package, name)
        assert layers.name_of(cls) == name
        assert name not in layers.failures()


def test_listing_imports_no_plugin_and_get_imports_one(both):
    # a fresh interpreter: available() must not import the plugin packages, get() must
    script = (
        "import sys, json, tinygrad_cnn.layers as L\n"
        "rows = {r.name: [r.distribution, r.loaded] for r in L.available()}\n"
        "before = [m for m in ('tgcnn_sobel', 'tgcnn_squeeze_excite') if m in sys.modules]\n"
        "L.get('SqueezeExcite')\n"
        "after = [m for m in ('tgcnn_sobel', 'tgcnn_squeeze_excite') if m in sys.modules]\n"
        "print(json.dumps({'rows': rows, 'before': before, 'after': after}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rows"]["SobelEdges"] == ["tgcnn-sobel", False]
    assert report["rows"]["SqueezeExcite"] == ["tgcnn-squeeze-excite", False]
    assert report["before"] == []
    assert report["after"] == ["tgcnn_squeeze_excite"]


def test_strict_mode_accepts_the_examples(both):
    loaded = layers.load_all(strict=True)
    assert loaded["SobelEdges"] is both["SobelEdges"].SobelEdges
    assert loaded["SqueezeExcite"] is both["SqueezeExcite"].SqueezeExcite


def test_misspelt_name_suggests_the_plugin_and_lists_its_distribution(both):
    with pytest.raises(LayerNotFoundError) as info:
        layers.get("SobelEdge")
    message = str(info.value)
    assert "did you mean SobelEdges" in message
    assert "tgcnn-sobel" in message and "tgcnn-squeeze-excite" in message


def test_cli_lists_the_plugins(both):
    tgcnn = shutil.which("tgcnn")
    if tgcnn is None:
        pytest.skip("the tgcnn command is not installed (pip install -e .)")
    done = subprocess.run([tgcnn, "layers"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "No such command" in done.stderr:
        pytest.skip("this tgcnn has no `layers` command yet")
    assert done.returncode == 0, done.stderr
    for name, (dist, _) in EXAMPLES.items():
        assert name in done.stdout and dist in done.stdout
