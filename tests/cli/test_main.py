"""The group: --version, --help with examples on every command, `python -m tinygrad_cnn`,
`tgcnn layers` with a broken plugin."""
from __future__ import annotations

import json

import pytest

import tinygrad_cnn

from .helpers import one_error_line, run_tgcnn

COMMANDS = ["train", "eval", "predict", "summary", "visualize", "layers"]


def test_version_and_help(invoke):
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"tgcnn, version {tinygrad_cnn.__version__}"
    result = invoke("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.stdout
    assert "Examples:" in result.stdout


def test_bare_command_shows_help(invoke):
    result = invoke()
    assert result.exit_code == 0 and result.stdout.startswith("Usage: tgcnn")


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(invoke, name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.stdout and f"tgcnn {name}" in result.stdout.split("Examples:")[1]


def test_layers_lists_registered_layers(invoke):
    result = invoke("layers")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    conv = next(line for line in lines if line.strip().startswith("Conv2d"))
    assert "tinygrad-cnn" in conv and conv.rstrip().endswith("ok")
    assert any(line.strip().startswith("vgg11_bn") for line in lines)
    assert lines[-1].startswith("failed plugins")


@pytest.fixture
def broken_plugin(tmp_path, monkeypatch):
    """A fake installed distribution whose layer fails to import."""
    from tinygrad_cnn import layers

    dist = tmp_path / "tgcnn_broken-0.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tgcnn-broken\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text("[tinygrad_cnn.layers]\nBroken = tgcnn_broken_mod:Layer\n")
    (tmp_path / "tgcnn_broken_mod.py").write_text("raise ImportError('needs libfoo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    layers.clear_cache()
    yield tmp_path
    monkeypatch.undo()
    layers.clear_cache()


def test_layers_reports_a_broken_plugin_and_strict_mode_fails(invoke, broken_plugin):
    result = invoke("layers", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    row = next(r for r in payload["layers"] if r["name"] == "Broken")
    assert row["distribution"] == "tgcnn-broken" and row["version"] == "0.3"
    assert "needs libfoo" in payload["failures"]["layer Broken"]
    text = invoke("layers")
    assert "Broken" in text.stdout and "FAILED" in text.stdout and "needs libfoo" in text.stdout
    strict = invoke("layers", "--strict-plugins")
    assert strict.exit_code == 1
    line = one_error_line(strict.stderr)
    assert "needs libfoo" in line
    assert "strict plugin mode (--strict-plugins or TGCNN_STRICT_PLUGINS=1)" in line


def test_layers_in_a_subprocess_with_strict_env(broken_plugin):
    ok = run_tgcnn("layers", env={"PYTHONPATH": str(broken_plugin)})
    assert ok.returncode == 0, ok.stderr
    assert "Broken" in ok.stdout and "needs libfoo" in ok.stdout
    strict = run_tgcnn("layers", env={"PYTHONPATH": str(broken_plugin), "TGCNN_STRICT_PLUGINS": "1"})
    assert strict.returncode == 1
    assert "strict plugin mode (--strict-plugins or TGCNN_STRICT_PLUGINS=1)" in \
        one_error_line(strict.stderr)
