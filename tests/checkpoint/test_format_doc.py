"""docs/FORMAT.md is exact: its h5py-only reader reads a saved checkpoint, and a file made
by its h5py-only writer loads. Both examples are run verbatim from the document."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
from tinygrad_cnn.checkpoint.layout import FORMAT_NAME, FORMAT_VERSION

from .ckpt_helpers import small_cnn

DOC = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"


def example(label: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if b.startswith(f"# example: {label}\n")]
    assert len(found) == 1, f"docs/FORMAT.md must hold one '# example: {label}' block"
    return found[0]


def test_doc_names_the_current_format():
    text = DOC.read_text(encoding="utf-8")
    assert f"version {FORMAT_VERSION})" in text.splitlines()[0]
    assert f'"{FORMAT_NAME}"' in text


def test_h5py_only_reader(tmp_path, monkeypatch, trained, capsys):
    model, opt, sched = trained
    monkeypatch.chdir(tmp_path)
    save_checkpoint("model.h5", model, optimizer=opt, scheduler=sched,
                    metadata={"epoch": 2, "mean": np.array([0.5, 0.5, 0.5], np.float32)})
    scope: dict = {}
    exec(compile(example("read"), str(DOC), "exec"), scope)
    state = model.state_dict()
    assert set(scope["weights"]) == set(state)
    for name, arr in state.items():
        np.testing.assert_array_equal(scope["weights"][name], arr)
    assert scope["config"] == load_checkpoint("model.h5").config
    assert scope["metadata"]["epoch"] == 2
    np.testing.assert_array_equal(scope["metadata"]["mean"], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(scope["optimizer_state"]["state"]["0"]["exp_avg"],
                                  opt.state_dict()["state"][0]["exp_avg"])
    assert capsys.readouterr().out.startswith("Sequential ")


def test_h5py_only_writer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(example("write"), str(DOC), "exec"), {})
    ckpt = load_checkpoint("external.h5")
    assert ckpt.framework_version == "my-exporter 1.0"
    assert ckpt.metadata["classes"] == ["cat", "dog"]
    np.testing.assert_array_equal(ckpt.metadata["mean"], np.full(4, 0.5, np.float32))
    weight = ckpt.model.state_dict()["0.weight"]
    x = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(ckpt.model(tg.Tensor(x)).numpy(), x @ weight.T, rtol=1e-6)


def test_documented_shapes_match_the_layers():
    """The layout section's example shapes (conv OIHW, BatchNorm counter 0-d int64)."""
    state = small_cnn(width=8).state_dict()
    assert state["0.weight"].shape == (8, 3, 3, 3) and state["0.bias"].shape == (8,)
    assert state["1.running_mean"].shape == (8,)
    assert state["1.num_batches_tracked"].shape == () and \
        state["1.num_batches_tracked"].dtype == np.int64
