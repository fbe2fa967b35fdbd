"""`tgcnn predict` is honest about its inputs: refuses or (--resize) converts another size or
channel count and says so, reports dropped alpha and palettes, NPY rules, folders, --json."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from .helpers import one_error_line


def _line(result):
    assert result.exit_code == 1, result.output
    return one_error_line(result.stderr)


def test_another_size_or_channel_count_is_refused_without_resize(invoke, trained, images):
    line = _line(invoke("predict", trained, images["grey"]))
    assert "48x40 grey image, but the model takes 32x32 RGB; pass --resize" in line


def test_alpha_and_palette_are_reported(invoke, trained, images, tmp_path):
    rgba = tmp_path / "rgba.png"
    with Image.open(images["png"]) as im:
        im.convert("RGBA").save(rgba)
        im.convert("P").save(tmp_path / "pal.png")
    result = invoke("predict", trained, rgba, tmp_path / "pal.png")
    assert result.exit_code == 0, result.output
    notes = result.stderr.splitlines()
    assert notes == [f"note: {rgba}: alpha channel dropped (composited over white)",
                     f"note: {tmp_path / 'pal.png'}: palette colours converted to RGB"]
    plain = invoke("predict", trained, images["png"])
    assert plain.stderr == "" and result.stdout.splitlines()[0].split(": ", 1)[1] == \
        plain.stdout.split(": ", 1)[1].strip()  # fully opaque: same pixels, same answer


def test_npy_rules(invoke, trained, images, tmp_path):
    x = np.load(images["npy"])  # float (3, 32, 32) in training units (0..255)
    np.save(tmp_path / "u8.npy", np.rint(x).astype(np.uint8).transpose(1, 2, 0))  # HWC uint8
    ok = invoke("predict", trained, tmp_path / "u8.npy", images["npy"], "--json")
    assert ok.exit_code == 0, ok.output
    preds = json.loads(ok.stdout)["predictions"]
    assert preds[0]["notes"] == ["uint8 NPY taken as 0-255 pixels and scaled like an image file"]
    assert preds[1]["notes"] == [] and preds[0]["top"][0]["class"] == preds[1]["top"][0]["class"]
    np.save(tmp_path / "i64.npy", x.astype(np.int64))
    assert "NPY of dtype int64; save uint8 pixels" in _line(invoke("predict", trained,
                                                                   tmp_path / "i64.npy"))
    np.save(tmp_path / "small.npy", x[:, :16, :16])
    assert "16x16 RGB image, but the model takes 32x32 RGB" in _line(
        invoke("predict", trained, tmp_path / "small.npy"))


def test_a_folder_predicts_its_images_sorted(invoke, trained, images, tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    for name in ("b.png", "a.jpg"):
        (folder / name).write_bytes(images["png" if name.endswith("png") else "jpg"].read_bytes())
    (folder / "notes.txt").write_text("not an image")
    result = invoke("predict", trained, folder, "--json")
    assert result.exit_code == 0, result.output
    assert [p["image"] for p in json.loads(result.stdout)["predictions"]] == \
        [str(folder / "a.jpg"), str(folder / "b.png")]
    (tmp_path / "empty").mkdir()
    assert "has no image files" in _line(invoke("predict", trained, tmp_path / "empty"))
