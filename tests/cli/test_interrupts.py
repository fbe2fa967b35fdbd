"""Ctrl-C at many instants of a real ``tgcnn train`` process, from start-up to shut-down.

Signals are sent at moments recognised from the outside (a shared library appearing in the
process's memory map, a line on its output), not after fixed delays, so the test means the
same on a loaded machine. Whatever the instant, the process must end with exit 130 and one
``interrupted...`` line, not called an error (or 0 with complete output, when the signal came
after the work was done), never a traceback, and any checkpoint on disk must be complete.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tinygrad_cnn.checkpoint import load_checkpoint

from .helpers import subprocess_env

TGCNN = Path(sys.executable).parent / "tgcnn"
MODEL = ('{"type": "Sequential", "args": {}, "layers": [{"type": "Flatten", "args": {}}, '
         '{"type": "Linear", "args": {"in_features": 3072, "out_features": 10}}]}')
ARGS = ["train", "--model", "tiny.json", "--epochs", "3", "--limit", "64", "--batch-size", "8",
        "--out", "s.h5"]

pytestmark = pytest.mark.skipif(not TGCNN.exists() or not Path("/proc/self/maps").exists(),
                                reason="needs the installed tgcnn script and /proc")


def _mapped(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _run(tmp_path: Path, when: str, signals: int) -> tuple[int, str, str]:
    """Start a run, wait for ``when`` ("map:<library>" or "line:<prefix>"), send ``signals``
    SIGINTs 5 ms apart; return (exit code, stdout, stderr)."""
    (tmp_path / "tiny.json").write_text(MODEL)
    proc = subprocess.Popen([str(TGCNN), *ARGS], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=subprocess_env({"NUMBA_NUM_THREADS": "1"}))
    kind, _, what = when.partition(":")
    seen = []
    deadline = time.monotonic() + 120
    if kind == "map":
        while proc.poll() is None and not _mapped(proc.pid, what) and time.monotonic() < deadline:
            time.sleep(0.002)
    else:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith(what) or time.monotonic() > deadline:
                break
    for i in range(signals):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        time.sleep(0.005)
    # read the rest through the same buffered stream as above (communicate() would read the
    # pipe underneath it and miss lines the stream had already buffered)
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait()
    finally:
        timer.cancel()
    return proc.returncode, "".join(seen) + out, err


def _check(tmp_path: Path, code: int, out: str, err: str) -> str:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    if code == 0:  # the signal came after the work was done
        assert "checkpoint: s.h5" in out and "Error" not in err, (out, err)
        return ""
    assert code == 130, (code, out, err)
    assert "Error" not in err, err  # a deliberate Ctrl-C is not reported as an error
    errors = [line for line in err.splitlines() if line.startswith("interrupted")]
    assert len(errors) == 1 and err.rstrip().endswith(errors[0]), err
    message = errors[0]
    ckpt = tmp_path / "s.h5"
    if "nothing was saved" in message:
        assert not ckpt.exists()
    if ckpt.exists():  # complete, whatever the instant
        assert load_checkpoint(ckpt).metadata["epoch"] >= 0
    if "resume with" in message:
        assert message.endswith("resume with: tgcnn train --resume s.h5") and ckpt.exists()
    return message


@pytest.mark.parametrize("when", ["map:_multiarray_umath", "map:llvmlite", "line:model ",
                                  "line:epoch 1:", "line:test accuracy", "line:checkpoint:"])
def test_one_ctrl_c(tmp_path, when):
    message = _check(tmp_path, *_run(tmp_path, when, 1))
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or p.suffix == ".lock"]
    assert leftovers == []
    if when == "line:epoch 1:" and message:  # during training: a checkpoint is saved
        assert "resume with" in message, message
        assert load_checkpoint(tmp_path / "s.h5").metadata["epoch"] >= 1


@pytest.mark.parametrize("when", ["map:llvmlite", "line:epoch 1:", "line:checkpoint:"])
def test_two_ctrl_c(tmp_path, when):
    message = _check(tmp_path, *_run(tmp_path, when, 2))
    if when == "line:epoch 1:" and message:
        assert "stopped at once" in message or "interrupted at epoch" in message, message
