"""``tgcnn import`` / ``tgcnn export`` / ``train --init``: the three round trips judged by
PyTorch and onnxruntime on real photographs, and every bad input as one error line."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from .helpers import one_error_line


def _interop_helper(name: str):
    """A helper module of tests/interop (the test folders are not one package)."""
    path = Path(__file__).resolve().parents[1] / "interop" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_interop_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_judges, _payloads = _interop_helper("judges"), _interop_helper("payloads")
SMALL_ARGS, ours, theirs = _judges.SMALL_ARGS, _judges.ours, _judges.theirs
real_batch, torchvision_vgg = _judges.real_batch, _judges.torchvision_vgg
flip, huge_tensor = _payloads.flip, _payloads.huge_tensor
member_data_offset, shell_payload = _payloads.member_data_offset, _payloads.shell_payload

torch = pytest.importorskip("torch", reason="the PyTorch checks need torch: "
                                            "pip install -e '.[test]'")
TOL = 1e-4


@pytest.fixture(scope="module")
def images():
    return real_batch(8, 32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """PyTorch's own state-dict file of a torchvision-layout model, imported once."""
    from click.testing import CliRunner

    from tinygrad_cnn.__main__ import load_cli

    d = tmp_path_factory.mktemp("interop")
    torch.manual_seed(0)
    model = torchvision_vgg(torch, num_classes=10, width=0.125, input_size=32)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    model.eval()
    torch.save(model.state_dict(), d / "tv.pth")
    (d / "classes.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n")
    result = CliRunner().invoke(load_cli().cli, ["import", str(d / "tv.pth"), *SMALL_ARGS,
                                                 "--classes", str(d / "classes.txt"),
                                                 "--out", str(d / "imported.h5")])
    assert result.exit_code == 0, result.output
    return {"dir": d, "torch": model, "pth": d / "tv.pth", "h5": d / "imported.h5"}


def _loaded(path):
    from tinygrad_cnn.checkpoint import load_checkpoint
    return load_checkpoint(path)


def test_torch_save_then_import_gives_torch_logits(files, images):
    ckpt = _loaded(files["h5"])
    diff = float(np.abs(ours(ckpt.model, images) - theirs(torch, files["torch"], images)).max())
    assert diff <= TOL, diff
    print(f"torch.save -> tgcnn import: max abs diff {diff:.3g}")
    assert ckpt.metadata["classes"][:2] == ["class0", "class1"]
    assert ckpt.metadata["input_shape"] == [3, 32, 32]


def test_export_pt_then_torch_load_gives_our_logits(files, images, invoke):
    out = files["dir"] / "back.pt"
    result = invoke("export", files["h5"], out)
    assert result.exit_code == 0, result.output
    model = torchvision_vgg(torch, num_classes=10, width=0.125, input_size=32)
    model.load_state_dict(torch.load(out, weights_only=True))
    diff = float(np.abs(theirs(torch, model, images) - ours(_loaded(files["h5"]).model,
                                                             images)).max())
    assert diff <= TOL, diff
    print(f"tgcnn export .pt -> torch: max abs diff {diff:.3g}")


def test_safetensors_round_trip_is_bit_identical(files, invoke):
    pytest.importorskip("safetensors", reason="pip install -e '.[interop]'")
    from tinygrad_cnn.interop import load_safetensors, safetensors_metadata
    st, again = files["dir"] / "m.safetensors", files["dir"] / "again.h5"
    assert invoke("export", files["h5"], st).exit_code == 0
    result = invoke("import", st, *SMALL_ARGS, "--out", again)
    assert result.exit_code == 0, result.output
    first, second = _loaded(files["h5"]).model.state_dict(), _loaded(again).model.state_dict()
    stored = load_safetensors(st)
    assert list(first) == list(second) and sorted(stored) == sorted(first)
    for name, arr in first.items():
        assert arr.tobytes() == second[name].tobytes() == stored[name].tobytes(), name
        assert arr.dtype == second[name].dtype == stored[name].dtype
    assert "Conv2d" in safetensors_metadata(st)["tinygrad_cnn.config"]


def test_export_onnx_matches(files, images, invoke):
    ort = pytest.importorskip("onnxruntime", reason="pip install -e '.[test]'")
    out = files["dir"] / "m.onnx"
    result = invoke("export", files["h5"], out)
    assert result.exit_code == 0, result.output
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": images})[0]
    diff = float(np.abs(got - ours(_loaded(files["h5"]).model, images)).max())
    assert diff <= TOL, diff
    meta = session.get_modelmeta()
    assert "123.675" in meta.custom_metadata_map["input_normalisation"]  # 0.485 * 255


def test_imported_checkpoint_predicts_and_fine_tunes(files, invoke, tmp_path):
    from PIL import Image
    png = tmp_path / "img.png"
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(png)
    result = invoke("predict", files["h5"], png)
    assert result.exit_code == 0, result.output
    assert "class" in result.output
    result = invoke("visualize", files["h5"], png, "--layer", "features.0", "--out",
                    tmp_path / "maps.png")
    assert result.exit_code == 0 and (tmp_path / "maps.png").is_file(), result.output
    out = tmp_path / "tuned.h5"
    result = invoke("train", "--init", files["h5"], "--epochs", "1", "--limit", "32",
                    "--batch-size", "16", "--lr", "1e-12", "--no-augment", "--out", out)
    assert result.exit_code == 0, result.output
    start, tuned = _loaded(files["h5"]).model.state_dict(), _loaded(out).model.state_dict()
    np.testing.assert_allclose(tuned["features.0.weight"], start["features.0.weight"],
                               atol=1e-9)  # started from the imported weights


@pytest.fixture(scope="module")
def bad(files):
    d = files["dir"] / "bad"
    d.mkdir()
    raw = files["pth"].read_bytes()
    p = {"marker": d / "pwned"}
    p["truncated_pt"] = d / "truncated.pt"
    p["truncated_pt"].write_bytes(raw[:len(raw) // 2])
    p["flipped_pt"] = d / "flipped.pt"
    p["flipped_pt"].write_bytes(raw)
    flip(p["flipped_pt"], member_data_offset(p["flipped_pt"], "tv/data.pkl") + 40)
    p["evil_pt"] = shell_payload(d / "evil.pt", p["marker"])
    p["huge_pt"] = huge_tensor(d / "huge.pt", (10 ** 12,), 4, 4)
    p["missing_pt"] = d / "missing.pt"
    torch.save({k: v for k, v in files["torch"].state_dict().items() if k != "classifier.3.bias"},
               p["missing_pt"])
    p["extra_pt"] = d / "extra.pt"
    torch.save({**files["torch"].state_dict(), "extra.weight": torch.zeros(1)}, p["extra_pt"])
    pytest.importorskip("safetensors")
    from tinygrad_cnn.interop import save_safetensors
    save_safetensors({"w": np.ones(4, np.float32)}, d / "ok.safetensors")
    st = (d / "ok.safetensors").read_bytes()
    p["truncated_st"] = d / "truncated.safetensors"
    p["truncated_st"].write_bytes(st[:len(st) - 7])
    p["flipped_st"] = d / "flipped.safetensors"
    p["flipped_st"].write_bytes(st)
    flip(p["flipped_st"], 10)
    p["keep"] = d / "keep.h5"
    p["keep"].write_bytes(b"previous checkpoint")
    p["file"] = d / "a_file"
    p["file"].write_text("x")
    return p


IMPORTS = [  # (weights, extra arguments, exit code, text in the message)
    ("truncated_pt", SMALL_ARGS, 1, "truncated.pt"),
    ("flipped_pt", SMALL_ARGS, 1, "flipped.pt"),
    ("evil_pt", SMALL_ARGS, 1, "refused without running"),
    ("huge_pt", SMALL_ARGS, 1, "storage of only 4 elements"),
    ("truncated_st", SMALL_ARGS, 1, "truncated.safetensors"),
    ("flipped_st", SMALL_ARGS, 1, "flipped.safetensors"),
    ("missing_pt", SMALL_ARGS, 1, "missing classifier.3.bias"),
    ("extra_pt", SMALL_ARGS, 1, "unexpected extra.weight"),
    ("pth", [*SMALL_ARGS[:-1], "0.25"], 1, "shape (file vs model) features.0.weight"),
    ("pth", ["--model", "vgg12"], 2, "did you mean"),
    ("pth", [*SMALL_ARGS, "--mean", "a,b"], 2, "--mean"),
]


@pytest.mark.parametrize("weights,args,code,text", IMPORTS,
                         ids=[f"{w} {' '.join(a[-2:])}" for w, a, _, _ in IMPORTS])
def test_import_mistakes(invoke, files, bad, weights, args, code, text):
    path = bad.get(weights, files.get(weights))
    result = invoke("import", path, *args, "--out", bad["keep"])
    assert result.exit_code == code, result.output
    line = one_error_line(result.stderr)
    assert text in line, line
    assert bad["keep"].read_bytes() == b"previous checkpoint"
    assert not bad["marker"].exists()


EXPORTS = [  # (target, exit code, text)
    ("{dir}/no/such/folder/m.onnx", 1, "does not exist"),
    ("{file}/m.onnx", 1, "does not exist"),
    ("{dir}/m.tflite", 1, "expected one of .safetensors"),
]


@pytest.mark.parametrize("target,code,text", EXPORTS, ids=[t for t, _, _ in EXPORTS])
def test_export_mistakes(invoke, files, bad, target, code, text):
    result = invoke("export", files["h5"], target.format(dir=files["dir"], file=bad["file"]))
    assert result.exit_code == code, result.output
    assert text in one_error_line(result.stderr)


def test_export_into_a_folder_refusing_writes_keeps_the_old_file(invoke, files, tmp_path,
                                                                   monkeypatch):
    import errno
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    result = invoke("export", files["h5"], target)
    assert result.exit_code == 1
    assert "Permission denied" in one_error_line(result.stderr)
    assert target.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_export_of_a_plugin_layer_without_exporter_names_it(invoke, tmp_path):
    sobel = pytest.importorskip("tgcnn_sobel")
    from tinygrad_cnn import nn
    from tinygrad_cnn.checkpoint import save_checkpoint
    path = save_checkpoint(tmp_path / "s.h5", nn.Sequential(sobel.SobelEdges(3), nn.Flatten()),
                           metadata={"input_shape": [3, 8, 8]})
    result = invoke("export", path, tmp_path / "s.onnx")
    assert result.exit_code == 1
    assert "layer SobelEdges (0) has no ONNX exporter" in one_error_line(result.stderr)
    assert not (tmp_path / "s.onnx").exists()


def test_import_checks_the_output_before_reading(invoke, files, bad):
    result = invoke("import", bad["evil_pt"], *SMALL_ARGS, "--out", f"{bad['file']}/m.h5")
    assert result.exit_code == 2
    assert "--out" in one_error_line(result.stderr)
    assert not bad["marker"].exists()


def test_init_from_a_model_that_does_not_fit_the_data(invoke, files, bad):
    pytest.importorskip("sklearn")
    result = invoke("train", "--init", files["h5"], "--data", "digits", "--epochs", "1",
                    "--limit", "16", "--out", bad["keep"], "--overwrite")
    assert result.exit_code == 2, result.output
    line = one_error_line(result.stderr)
    assert "--init" in line and "1x8x8" in line, line
    assert bad["keep"].read_bytes() == b"previous checkpoint"
