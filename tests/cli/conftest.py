"""Fixtures for the CLI tests: the click group, a tiny trained checkpoint shared by the
eval/predict/visualize/summary tests, sample images, and a runner for ``python -m
tinygrad_cnn`` in a subprocess."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from tinygrad_cnn.__main__ import load_cli

from .helpers import TINY


@pytest.fixture(scope="session")
def cli():
    return load_cli().cli


@pytest.fixture
def invoke(cli):
    """Run the CLI in-process; returns click's Result (stdout and stderr kept apart)."""
    def run(*args: str, **kwargs):
        return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)
    return run


@pytest.fixture(scope="session")
def trained(tmp_path_factory, cli) -> Path:
    """One tiny checkpoint, trained once per session through the CLI."""
    out = tmp_path_factory.mktemp("trained") / "model.h5"
    result = CliRunner().invoke(cli, ["train", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> dict[str, Path]:
    """A shapes image as PNG and JPEG (pixels) and NPY (float, training units), plus a grey
    PNG of another size (converted and resized by predict)."""
    from tinygrad_cnn.data import generate_shapes

    d = tmp_path_factory.mktemp("images")
    x, _ = generate_shapes(2, seed=7)
    hwc = x[0].transpose(1, 2, 0)
    paths = {"png": d / "a.png", "jpg": d / "a.jpg", "npy": d / "a.npy", "grey": d / "g.png"}
    Image.fromarray(hwc).save(paths["png"])
    Image.fromarray(hwc).save(paths["jpg"], quality=95)
    np.save(paths["npy"], x[0].astype(np.float32))
    Image.fromarray(x[1, 0]).resize((48, 40)).save(paths["grey"])
    return paths
