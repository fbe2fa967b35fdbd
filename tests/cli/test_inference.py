"""`tgcnn eval`, `predict`, `visualize` and `summary` on a checkpoint, in-process and in a
subprocess."""
from __future__ import annotations

import json

from PIL import Image

from .helpers import run_tgcnn


def test_eval_table(invoke, trained):
    result = invoke("eval", trained)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("accuracy: ") and "(40 images)" in lines[0]
    assert "per-class accuracy:" in lines and any(line.strip().startswith("square") for line in lines)
    assert any(line.startswith("confusion matrix") for line in lines)


def test_eval_json_in_a_subprocess(trained):
    proc = run_tgcnn("eval", trained, "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    for key in ("accuracy", "loss", "per_class_accuracy", "confusion_matrix"):
        assert key in payload
    cm = payload["confusion_matrix"]
    assert len(cm) == 10 and sum(map(sum, cm)) == 40
    assert abs(payload["accuracy"] - sum(cm[i][i] for i in range(10)) / 40) < 1e-12
    assert set(payload["per_class_accuracy"]) == set(payload["classes"])


def test_eval_other_data_and_limit(invoke, trained):
    result = invoke("eval", trained, "--data", "shapes", "--seed", "5", "--limit", "20", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["num_examples"] == 20


def test_predict_png_jpeg_npy_grey(invoke, trained, images):
    result = invoke("predict", trained, images["png"], images["jpg"], images["npy"],
                    images["grey"], "--top-k", "2", "--resize")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (f"note: {images['grey']}: grey converted to RGB; "
                                     f"resized 48x40 -> 32x32")
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and lines[0].startswith(f"{images['png']}: ")
    assert all(line.count("%") == 2 for line in lines)
    # the PNG and the NPY of the same pixels give the same prediction
    assert lines[0].split(": ", 1)[1] == lines[2].split(": ", 1)[1]


def test_predict_json_in_a_subprocess(trained, images):
    proc = run_tgcnn("predict", trained, images["png"], "--json", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    (only,) = payload["predictions"]
    probs = [p["probability"] for p in only["top"]]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True)
    assert only["image"] == str(images["png"]) and isinstance(only["top"][0]["class"], str)


def test_visualize_activations_and_filters(invoke, trained, images, tmp_path):
    out = tmp_path / "maps.png"
    result = invoke("visualize", trained, images["png"], "--layer", "features.2", "--out", out)
    assert result.exit_code == 0, result.output
    assert "8 of 8 activation maps of layer features.2 (32x32)" in result.stdout
    with Image.open(out) as im:  # 3 x 3 tiles of 96 px (32 x 32 maps scaled by 3), labelled
        assert im.mode == "L" and im.size[0] >= 3 * 96 and im.size[1] > 3 * (96 + 14) + 32
    result = invoke("visualize", trained, "--filters", "--out", tmp_path / "f.png")
    assert result.exit_code == 0, result.output
    assert "8 filters of layer features.0 (3x3, RGB)" in result.stdout
    with Image.open(tmp_path / "f.png") as im:
        assert im.mode == "RGB"


def test_visualize_in_a_subprocess_default_names(trained, images, tmp_path):
    img = tmp_path / "pic.png"
    img.write_bytes(images["png"].read_bytes())
    proc = run_tgcnn("visualize", trained, img, "--filters", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pic.png"]  # nothing beside IMAGE
    assert (trained.parent / "visualize" / "pic.features.0.png").exists()
    assert (trained.parent / "visualize" / "model.filters.png").exists()


def test_summary_builder_checkpoint_and_file(invoke, trained, tmp_path):
    result = invoke("summary", "vgg11_bn", "--input-size", "3,32,32", "--num-classes", "10",
                    "--width", "0.125", "--head", "small")
    assert result.exit_code == 0, result.output
    assert "features.0" in result.stdout and "Total params:" in result.stdout
    from_ckpt = invoke("summary", trained)
    assert from_ckpt.exit_code == 0, from_ckpt.output
    assert from_ckpt.stdout == result.stdout  # same architecture, same table
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps([{"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 2,
                                                            "kernel_size": 3}},
                                {"type": "Flatten"}, {"type": "Linear",
                                                      "args": {"in_features": 72, "out_features": 3}}]))
    as_json = invoke("summary", spec, "--input-size", "1x8x8", "--json")
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert payload["total_params"] == 2 * 9 + 2 + 72 * 3 + 3
    assert payload["rows"][0]["output_shape"] == [2, 6, 6]


def test_summary_in_a_subprocess():
    proc = run_tgcnn("summary", "vgg11", "--input-size", "32", "--num-classes", "10",
                     "--head", "small", "--width", "0.25")
    assert proc.returncode == 0, proc.stderr
    assert "Total params:" in proc.stdout and "classifier" in proc.stdout
