"""`tgcnn train` end to end: in-process and in a subprocess, config files, resume, Ctrl-C."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

from tinygrad_cnn.checkpoint import read_checkpoint

from .helpers import TINY, one_error_line, run_tgcnn, subprocess_env


def _weights(path):
    with h5py.File(path, "r") as f:
        return {k: v[...] for k, v in f["parameters"].items()}


def test_train_one_epoch_in_process(invoke, tmp_path):
    out = tmp_path / "m.h5"
    result = invoke("train", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("data shapes: 30 train / 10 val / 40 test images, 3x32x32, 10 classes")
    epoch = [line for line in lines if line.startswith("epoch 1:")]
    assert len(epoch) == 1  # not a terminal: one line per epoch, no progress bar
    for part in ("train loss", "val loss", "lr ", "img/s"):
        assert part in epoch[0]
    assert any(line.startswith("best epoch: 1") for line in lines)
    assert any(line.startswith("test accuracy (last epoch 1): ") and "40 images" in line
               for line in lines)
    assert any(line.startswith(f"checkpoint: {out}") for line in lines)
    assert lines[-1] == f"to train further: tgcnn train --resume {out} --epochs N"
    for name in ("m.h5", "m.best.h5", "m.curves.png", "m.metrics.csv", "m.config.json",
                 "m.resume.txt"):
        assert (tmp_path / name).exists(), name
    meta = read_checkpoint(out).metadata
    assert meta["train_config"]["limit"] == 40 and meta["classes"][0] == "square"
    assert meta["input_shape"] == [3, 32, 32] and len(meta["mean"]) == 3


def test_train_in_a_subprocess(tmp_path):
    proc = run_tgcnn("train", *TINY, "--out", "sub.h5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1:" in proc.stdout and "test accuracy (last epoch 1):" in proc.stdout
    assert (tmp_path / "sub.h5").exists()


def test_config_file_fills_defaults_and_command_line_wins(invoke, tmp_path):
    for name, text in (("run.json", json.dumps({"epochs": 1, "limit": 40, "width": 0.125,
                                                 "batch-size": 8, "lr": 0.5, "val_split": 0.25})),
                       ("run.yaml", "train:\n  epochs: 1\n  limit: 40\n  width: 0.125\n"
                                    "  batch_size: 8\n  lr: 0.5\n  schedule: none\n")):
        cfg = tmp_path / name
        cfg.write_text(text)
        out = tmp_path / f"{name}.h5"
        result = invoke("train", "--config", cfg, "--lr", "0.02", "--out", out)
        assert result.exit_code == 0, result.output
        stored = read_checkpoint(out).metadata["train_config"]
        assert stored["batch_size"] == 8 and stored["limit"] == 40  # from the file
        assert stored["lr"] == 0.02  # the command line wins


def test_resume_continues_and_refuses_changes(invoke, tmp_path):
    out = tmp_path / "r.h5"
    assert invoke("train", *TINY, "--out", out).exit_code == 0
    result = invoke("train", "--resume", out, "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"resuming {out}")
    assert "epoch 2:" in result.stdout and "epoch 1:" not in result.stdout
    assert read_checkpoint(out).metadata["epoch"] == 2
    before = out.read_bytes()
    bad = invoke("train", "--resume", out, "--lr", "0.3", "--epochs", "3")
    assert bad.exit_code == 2
    assert "--lr: cannot change when resuming" in one_error_line(bad.stderr)
    assert out.read_bytes() == before  # nothing overwritten


def _interrupted_run(tmp_path, name: str, epochs: int):
    """Start a run, wait for its first epoch line, press Ctrl-C; return (process, stdout, stderr)."""
    args = [sys.executable, "-u", "-m", "tinygrad_cnn", "train", "--epochs", str(epochs),
            "--limit", "96", "--width", "0.125", "--batch-size", "8", "--out", name]
    proc = subprocess.Popen(args, cwd=tmp_path, env=subprocess_env({"NUMBA_NUM_THREADS": "1"}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("epoch 1:") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc, "".join(seen) + out, err


def test_ctrl_c_saves_exits_130_and_resume_matches_uninterrupted(tmp_path):
    """Ctrl-C in the second epoch: one line with the resume hint, exit 130, and the resumed
    run ends with the same weights as an uninterrupted one (one thread: deterministic sums)."""
    proc, out, err = _interrupted_run(tmp_path, "int.h5", epochs=3)
    assert proc.returncode == 130, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines[-1].startswith("interrupted at epoch 2") or \
        lines[-1].startswith("interrupted at epoch 3"), err  # a deliberate stop: no "Error:"
    assert "Error" not in err
    assert lines[-1].endswith("resume with: tgcnn train --resume int.h5")
    assert (tmp_path / "int.h5").exists()
    env = {"NUMBA_NUM_THREADS": "1"}
    resumed = run_tgcnn("train", "--resume", "int.h5", cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    full = run_tgcnn("train", "--epochs", "3", "--limit", "96", "--width", "0.125",
                     "--batch-size", "8", "--out", "full.h5", cwd=tmp_path, env=env)
    assert full.returncode == 0, full.stderr
    a, b = _weights(tmp_path / "int.h5"), _weights(tmp_path / "full.h5")
    assert list(a) == list(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    assert read_checkpoint(tmp_path / "int.h5").metadata["epoch"] == 3


def test_progress_bar_on_a_terminal(tmp_path):
    """Under a pseudo-terminal each epoch shows a bar with running loss, accuracy and images/s,
    then the same one-line summary as without a terminal."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_cnn", "train", *TINY,
                             "--batch-size", "4", "--out", "tty.h5"], cwd=tmp_path,
                            env=subprocess_env({"COLUMNS": "160"}), stdout=slave, stderr=slave,
                            stdin=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, text
    assert "epoch 1/1" in text and "img/s" in text and "loss " in text and "acc " in text
    assert "[#" in text or "#" in text  # the bar itself
    assert "epoch 1: train loss" in text
