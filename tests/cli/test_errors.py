"""Every user mistake: one line on stderr, exit 2 (usage) or 1 (failure), no traceback,
nothing overwritten."""
from __future__ import annotations

import gzip
import json
import shutil

import h5py
import numpy as np
import pytest
from PIL import Image

from .helpers import TINY, one_error_line, run_tgcnn
from tinygrad_cnn.checkpoint.integrity import reseal


@pytest.fixture(scope="module")
def bad(tmp_path_factory, trained):
    """Broken inputs of every kind, built once."""
    from tinygrad_cnn import nn
    from tinygrad_cnn.checkpoint import save_checkpoint
    from tinygrad_cnn.data import write_idx

    d = tmp_path_factory.mktemp("bad")
    p = {}
    p["text"] = d / "notes.h5"
    p["text"].write_text("this is not HDF5\n")
    raw = trained.read_bytes()
    p["truncated"] = d / "truncated.h5"
    p["truncated"].write_bytes(raw[:len(raw) // 2])
    for name in ("newer", "architecture", "plugin", "state"):
        p[name] = d / f"{name}.h5"
        shutil.copy(trained, p[name])
    with h5py.File(p["newer"], "a") as f:
        f.attrs["format_version"] = 99
    with h5py.File(p["architecture"], "a") as f:
        del f["parameters/features.0.weight"]
        f["parameters/features.0.weight"] = np.zeros((8, 3, 5, 5), np.float32)
        reseal(f)
    with h5py.File(p["plugin"], "a") as f:
        config = json.loads(f["model/config"][()])
        config["layers"][0]["layers"][2]["type"] = "FancyAct"  # features.2 (a ReLU)
        plugins = json.loads(f["model/plugins"][()])
        plugins["FancyAct"] = {"distribution": "tgcnn-fancy", "version": "2.0"}
        del f["model/config"], f["model/plugins"]
        f["model/config"] = json.dumps(config)
        f["model/plugins"] = json.dumps(plugins)
        reseal(f)
    with h5py.File(p["state"], "a") as f:
        meta = json.loads(f["metadata/json"][()])
        meta["loader_state"]["position"] = 999
        del f["metadata/json"]
        f["metadata/json"] = json.dumps(meta)
        reseal(f)
    p["plain"] = d / "plain.h5"
    save_checkpoint(p["plain"], nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10)))
    p["keep"] = d / "keep.h5"
    p["keep"].write_bytes(b"previous checkpoint")
    p["file"] = d / "a_file"
    p["file"].write_text("x")
    p["bad_json"] = d / "bad.json"
    p["bad_json"].write_text('[{"type": "Conv2d", ')
    p["unknown_layer"] = d / "unknown.json"
    p["unknown_layer"].write_text(json.dumps([{"type": "NoSuchLayer"}]))
    p["wrong_out"] = d / "wrong_out.json"
    p["wrong_out"].write_text(json.dumps([{"type": "Flatten"}, {"type": "Linear", "args": {
        "in_features": 3 * 32 * 32, "out_features": 4}}]))
    p["config_key"] = d / "run.json"
    p["config_key"].write_text(json.dumps({"epochs": 1, "learning_rate": 0.1}))
    p["empty"] = d / "empty"
    p["empty"].mkdir()
    p["idx"] = d / "idx"
    p["idx"].mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 20), ("t10k", 10)):
        write_idx(p["idx"] / f"{prefix}-images-idx3-ubyte", rng.integers(0, 255, (n, 28, 28), dtype=np.uint8))
        write_idx(p["idx"] / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    images = p["idx"] / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])  # header says 20 images, data has one
    p["mixed"] = d / "mixed"
    for cls, sizes in (("a", (8, 8, 10)), ("b", (8, 8, 8))):
        (p["mixed"] / cls).mkdir(parents=True)
        for i, s in enumerate(sizes):
            Image.fromarray(np.zeros((s, s, 3), np.uint8)).save(p["mixed"] / cls / f"{i}.png")
    p["labels"] = d / "labels.npz"
    np.savez(p["labels"], x=np.zeros((10, 8, 8, 3), np.uint8), y=np.array([0, 1] * 4 + [1, 5]),
             classes=np.array(["a", "b"]))
    p["fake_png"] = d / "fake.png"
    p["fake_png"].write_text("not an image")
    p["png"] = d / "ok.png"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(p["png"])
    p["gz"] = d / "gz"
    p["gz"].mkdir()
    (p["gz"] / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03")[:10])
    return p


TRAIN_USAGE = [  # (extra arguments, text expected in the message)
    (["--epochs", "0"], "--epochs"), (["--batch-size", "0"], "--batch-size"),
    (["--lr", "0"], "--lr"), (["--lr", "-1"], "--lr"), (["--weight-decay", "-0.1"], "--weight-decay"),
    (["--val-split", "1.5"], "--val-split"), (["--momentum", "1"], "--momentum"),
    (["--width", "0"], "--width"), (["--limit", "0"], "--limit"),
    (["--model", "vgg12"], "did you mean"), (["--model", "missing.json"], "does not exist"),
    (["--data", "nosuch"], "unknown dataset"), (["--data", "folder:/no/such/dir"], "does not exist"),
    (["--schedule", "exp"], "unknown schedule"), (["--optimizer", "rmsprop"], "--optimizer"),
    (["--config", "/no/such/run.json"], "--config"), (["--resume", "/no/such/model.h5"], "--resume"),
    (["--no-such-option"], "No such option"),
    (["--out", "{file}/model.h5"], "--out"), (["--out", "{empty}"], "--out"),
    (["--config", "{config_key}"], "learning_rate"), (["--model", "{wrong_out}"], "10 classes"),
    (["--resume", "{plain}"], "no training state"),
]
TRAIN_FAILURES = [
    (["--model", "{bad_json}"], "invalid JSON"), (["--model", "{unknown_layer}"], "NoSuchLayer"),
    (["--data", "mnist:{empty}"], "mnist"), (["--data", "mnist:{idx}"], "train-images-idx3-ubyte"),
    (["--data", "mnist:{gz}"], "train-images-idx3-ubyte"),
    (["--data", "folder:{mixed}"], "10x10"), (["--data", "npz:{labels}"], "out of range"),
    (["--resume", "{text}"], "not an HDF5 file"), (["--resume", "{truncated}"], "truncated"),
    (["--resume", "{state}"], "training state cannot be restored"),
    ([*TINY, "--lr", "1e30", "--no-augment"], "loss became"),
]


def _fill(args, paths):
    return [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]


@pytest.mark.parametrize("args,text", TRAIN_USAGE + TRAIN_FAILURES,
                         ids=[" ".join(a)[:40] for a, _ in TRAIN_USAGE + TRAIN_FAILURES])
def test_train_mistakes(invoke, bad, args, text):
    code = 2 if (args, text) in TRAIN_USAGE else 1
    out = [] if "--out" in args else ["--out", str(bad["keep"]), "--overwrite"]
    result = invoke("train", *_fill(args, bad), *out)
    assert result.exit_code == code, result.output
    line = one_error_line(result.stderr)
    assert text in line, line
    assert bad["keep"].read_bytes() == b"previous checkpoint"


def test_cuda_without_gpu_is_a_usage_error(invoke, bad):
    from tinygrad_cnn.backends import get_backend
    try:
        get_backend("cuda")
        pytest.skip("a usable GPU is present")
    except Exception:
        pass
    result = invoke("train", "--device", "cuda", "--out", bad["keep"])
    assert result.exit_code == 2
    assert "use --device cpu" in one_error_line(result.stderr)


CHECKPOINT_FAILURES = [("text", "not an HDF5 file"), ("truncated", "truncated"),
                       ("newer", "newer"), ("architecture", "features.0.weight"),
                       ("plugin", "tgcnn-fancy")]


@pytest.mark.parametrize("name,text", CHECKPOINT_FAILURES)
def test_bad_checkpoints(invoke, bad, images, name, text):
    for args in (["eval", bad[name]], ["predict", bad[name], images["png"]],
                 ["visualize", bad[name], "--filters", "--out", bad["keep"].with_suffix(".png")],
                 ["summary", bad[name]]):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert text in one_error_line(result.stderr)


@pytest.mark.parametrize("args,code,text", [
    (["eval", "/no/such.h5"], 2, "does not exist"),
    (["eval", "{trained}", "--data", "digits"], 1, "expects 3x32x32"),
    (["eval", "{plain}"], 1, "does not record the data"),
    (["eval", "{trained}", "--batch-size", "0"], 2, "--batch-size"),
    (["predict", "{trained}", "/no/such.png"], 2, "does not exist"),
    (["predict", "{trained}"], 2, "Missing argument"),
    (["predict", "{trained}", "{fake_png}"], 1, "fake.png"),
    (["predict", "{trained}", "{png}", "--top-k", "0"], 2, "--top-k"),
    (["visualize", "{trained}", "{png}", "--layer", "features.99"], 2, "did you mean"),
    (["visualize", "{trained}"], 2, "IMAGE"),
    (["visualize", "{trained}", "{png}", "--out", "{file}/x.png"], 2, "--out"),
    (["summary", "vgg12"], 2, "did you mean"),
    (["summary", "{bad_json}"], 2, "--input-size"),
    (["summary", "/no/such.json"], 2, "does not exist"),
    (["summary", "vgg11", "--input-size", "3x0x4"], 2, "--input-size"),
    (["nosuchcommand"], 2, "No such command"),
])
def test_other_command_mistakes(invoke, bad, trained, args, code, text):
    result = invoke(*_fill(args, {**bad, "trained": trained}))
    assert result.exit_code == code, result.output
    assert text in one_error_line(result.stderr)


def test_errors_in_a_subprocess(bad):
    proc = run_tgcnn("eval", bad["text"])
    assert proc.returncode == 1 and "not an HDF5 file" in one_error_line(proc.stderr)
    proc = run_tgcnn("train", "--lr", "-1", "--out", bad["keep"])
    assert proc.returncode == 2 and "--lr" in one_error_line(proc.stderr)
    assert bad["keep"].read_bytes() == b"previous checkpoint"


def test_batch_norm_on_single_image_batches_is_one_line(tmp_path):
    from .helpers import one_error_line, run_tgcnn
    pytest.importorskip("sklearn")      # digits: 8x8 images leave 1x1 maps before the last BN
    proc = run_tgcnn("train", "--data", "digits", "--limit", "20", "--batch-size", "1",
                     "--epochs", "1", "--out", "m.h5", cwd=tmp_path)
    assert proc.returncode == 1
    assert "more than one value per channel" in one_error_line(proc.stderr)


def test_data_limit_message_names_the_flag(invoke, bad):
    """The library names its knob (set_max_data_bytes()); the CLI shows the flag instead."""
    from tinygrad_cnn.data.limits import set_max_data_bytes

    try:
        result = invoke("train", "--data", f"npz:{bad['labels']}", "--max-data-bytes", "100",
                        "--out", str(bad["keep"]), "--overwrite")
    finally:
        set_max_data_bytes(None)  # the option sets a process-wide limit
    assert result.exit_code == 1, result.output
    line = one_error_line(result.stderr)
    assert "more than the limit of 100 bytes" in line, line
    assert "raise the limit (--max-data-bytes or TGCNN_MAX_DATA_BYTES)" in line, line
    assert bad["keep"].read_bytes() == b"previous checkpoint"
