"""`tgcnn train`'s run files from the command line: run folders, --out and --overwrite,
--json, early stopping, the first-run compile notice, resume in the same folder."""
from __future__ import annotations

import json

from tinygrad_cnn.checkpoint import read_checkpoint

from .helpers import TINY, one_error_line, run_tgcnn


def test_default_run_goes_to_a_fresh_numbered_folder(tmp_path):
    first = run_tgcnn("train", *TINY, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "run files: runs/train/shapes-1/ (last.h5, best.h5" in first.stdout
    assert "to train further: tgcnn train --resume runs/train/shapes-1/last.h5" in first.stdout
    second = run_tgcnn("train", *TINY, "--name", "exp", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "run files: runs/train/exp-1/" in second.stdout
    assert sorted(p.name for p in (tmp_path / "runs" / "train").iterdir()) == ["exp-1", "shapes-1"]
    assert not (tmp_path / "model.h5").exists()


def test_out_never_overwrites_without_the_flag(invoke, tmp_path):
    out = tmp_path / "m.h5"
    assert invoke("train", *TINY, "--out", out).exit_code == 0
    before = out.read_bytes()
    again = invoke("train", *TINY, "--out", out)
    assert again.exit_code == 2
    line = one_error_line(again.stderr)
    assert "already exists; pass --overwrite" in line and "--resume" in line
    assert out.read_bytes() == before
    assert invoke("train", *TINY, "--out", out, "--overwrite", "--seed", "3").exit_code == 0
    assert read_checkpoint(out).metadata["train_config"]["seed"] == 3


def test_json_prints_one_object_per_epoch_then_the_result(invoke, tmp_path):
    result = invoke("train", *TINY, "--epochs", "2", "--project", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["event"] for o in objects] == ["epoch", "epoch", "result"]
    assert objects[1]["epoch"] == 2 and set(objects[0]) >= {"train_loss", "val_acc", "lr",
                                                             "images_per_s", "time"}
    end = objects[-1]
    assert end["files"]["best"].endswith("shapes-1/best.h5") and end["monitor"] == "val_loss"
    assert 0 <= end["test_accuracy"] <= 1 and end["test_images"] == 40
    assert "data shapes:" in result.stderr  # messages stay off stdout


def test_early_stopping_says_what_stopped_and_what_was_tested(invoke, tmp_path):
    result = invoke("train", *TINY, "--epochs", "3", "--project", tmp_path,
                    "--early-stopping", "1", "--min-delta", "10", "--monitor", "val_loss")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "epoch 3:" not in out
    assert "early stopping: no improvement of val_loss for 1 epoch; stopped after epoch 2" in out
    assert "best epoch: 1 (val loss " in out
    assert "test accuracy (best epoch 1): " in out


def test_resume_continues_in_the_run_folder(invoke, tmp_path):
    assert invoke("train", *TINY, "--project", tmp_path).exit_code == 0
    last = tmp_path / "shapes-1" / "last.h5"
    result = invoke("train", "--resume", last, "--epochs", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    note = [i for i, line in enumerate(lines)
            if line.startswith("note: the cosine schedule is re-planned for 2 epochs instead of 1")]
    assert len(note) == 1 and lines[note[0] + 1].startswith("epoch 2:")  # said before training
    assert read_checkpoint(last).metadata["epoch"] == 2
    assert len((tmp_path / "shapes-1" / "metrics.csv").read_text().splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shapes-1"]


def test_first_run_says_kernels_are_compiling(invoke, tmp_path, monkeypatch):
    import tinygrad_cnn.warmup as warmup

    monkeypatch.setattr(warmup, "kernels_cached", lambda: False)
    result = invoke("train", *TINY, "--project", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("compiling the CPU kernels"))
    assert "python -m tinygrad_cnn.warmup" in lines[start]
    assert lines[start - 1].startswith("model vgg11_bn")  # said before the model is built
    done = next(i for i, line in enumerate(lines) if line.startswith("kernels compiled: ")
                and line.endswith("s from the start to the end of the first batch"))
    assert start < done < next(i for i, line in enumerate(lines) if line.startswith("epoch 1:"))
    monkeypatch.setattr(warmup, "kernels_cached", lambda: True)
    quiet = invoke("train", *TINY, "--project", tmp_path)
    assert "compiling" not in quiet.stdout


def test_run_option_mistakes_are_usage_errors(invoke, tmp_path):
    for args, text in ((["--monitor", "f1"], "--monitor"), (["--early-stopping", "0"],
                                                             "--early-stopping"),
                       (["--min-delta", "-1"], "--min-delta")):
        result = invoke("train", *TINY, "--project", tmp_path, *args)
        assert result.exit_code == 2
        assert text in one_error_line(result.stderr)
    assert not any(tmp_path.iterdir())  # nothing created


def test_config_json_repeats_the_run_in_a_new_folder(invoke, tmp_path):
    assert invoke("train", *TINY, "--project", tmp_path, "--lr", "0.02").exit_code == 0
    again = invoke("train", "--config", tmp_path / "shapes-1" / "config.json")
    assert again.exit_code == 0, again.output
    first = read_checkpoint(tmp_path / "shapes-1" / "last.h5").metadata["train_config"]
    second = read_checkpoint(tmp_path / "shapes-2" / "last.h5").metadata["train_config"]
    assert first["lr"] == 0.02 and first == second
