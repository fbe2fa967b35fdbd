"""Fake plugin distributions on ``sys.path``: a ``<name>-<version>.dist-info`` folder with
``METADATA`` and ``entry_points.txt`` plus the plugin's module, as pip would install them."""
import sys
import textwrap
from pathlib import Path

import pytest

import tinygrad_cnn.layers as layers
from tinygrad_cnn.layers import registry


@pytest.fixture
def fake_dist(tmp_path, monkeypatch):
    """``fake_dist(name, entry_points={group: {ep_name: value}}, modules={mod: source})``."""
    created_modules: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(name: str, entry_points: dict, modules: dict | None = None,
             version: str = "1.0") -> Path:
        info = tmp_path / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
        lines = []
        for group, entries in entry_points.items():
            lines.append(f"[{group}]")
            lines.extend(f"{ep} = {value}" for ep, value in entries.items())
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for module, source in (modules or {}).items():
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            created_modules.append(module)
        layers.clear_cache()
        return info

    layers.clear_cache()
    yield make
    for module in created_modules:
        sys.modules.pop(module, None)
    monkeypatch.undo()
    layers.clear_cache()


@pytest.fixture(autouse=True)
def default_strictness(monkeypatch):
    """Tests start non-strict whatever the environment says, and leave no override behind."""
    monkeypatch.delenv(registry.STRICT_ENV, raising=False)
    registry.set_strict(None)
    yield
    registry.set_strict(None)
