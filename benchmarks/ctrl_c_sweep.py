"""Ctrl-C at random instants of real ``tgcnn train`` runs (from interpreter start-up to exit):
single and double SIGINTs, with the outcome of each run classified.

An outcome is correct when the run ends with exit 130 and exactly one ``Error: interrupted``
line as its last stderr line, no traceback, and every checkpoint on disk loads (or exit 0
with the complete output, when the signal came after the work was done). The first ~30 ms
of interpreter start-up, before ``tgcnn``'s own code runs, belong to Python.

    python benchmarks/ctrl_c_sweep.py --runs 40 --seed 0
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

MODEL = ('{"type": "Sequential", "args": {}, "layers": [{"type": "Flatten", "args": {}}, '
         '{"type": "Linear", "args": {"in_features": 3072, "out_features": 10}}]}')
# a small VGG: start-up, data, kernel loading, three epochs of several batches, test, exit
ARGS = ["train", "--epochs", "3", "--limit", "96", "--batch-size", "8", "--width", "0.125",
        "--out", "s.h5"]


def one_run(tgcnn: Path, folder: Path, delays: list[float]) -> tuple[str, str]:
    from tinygrad_cnn.checkpoint import CheckpointError, load_checkpoint

    for p in folder.iterdir():
        p.unlink()
    (folder / "tiny.json").write_text(MODEL)
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.Popen([str(tgcnn), *ARGS], cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    t0 = time.monotonic()
    for d in delays:
        time.sleep(max(0.0, t0 + d - time.monotonic()))
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "hang", ""
    if "Traceback" in err or "Exception ignored" in err:
        if "tinygrad_cnn" not in err and "cli/" not in err:
            return "traceback in Python's start-up, before tgcnn code runs", err[-300:]
        return "traceback", err[-300:]
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    if proc.returncode == 0:
        ok = "checkpoint: s.h5" in out and not errors
        return ("finished before the signal" if ok else "wrong: exit 0"), err[-200:]
    if proc.returncode != 130 or len(errors) != 1 or not err.rstrip().endswith(errors[0]):
        return f"wrong: exit {proc.returncode}", err[-300:]
    if (folder / "s.h5").exists():
        try:
            load_checkpoint(folder / "s.h5")
        except CheckpointError as e:
            return "torn checkpoint", str(e)
    message = errors[0]
    if "resume with" in message:
        return "130, saved, resume line", message
    if "nothing" in message:
        return "130, nothing saved yet", message
    return "130, other line", message


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40, help="runs of each of single/double")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tgcnn = Path(sys.executable).parent / "tgcnn"
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "tiny.json").write_text(MODEL)
        t0 = time.monotonic()  # how long an uninterrupted run takes here and now
        subprocess.run([str(tgcnn), *ARGS], cwd=folder, capture_output=True, check=True)
        span = time.monotonic() - t0
        results: dict[str, Counter] = {"single": Counter(), "double": Counter()}
        examples: dict[str, str] = {}
        for i in range(args.runs):
            for mode in ("single", "double"):
                first = rng.uniform(0.0, span * 1.05)
                delays = [first] + ([first + rng.uniform(0.0, 0.3)] if mode == "double" else [])
                outcome, text = one_run(tgcnn, folder, delays)
                results[mode][outcome] += 1
                examples.setdefault(outcome, text)
    print(f"uninterrupted run: {span:.2f} s; load average {os.getloadavg()[0]:.1f}")
    for mode, counts in results.items():
        print(f"{mode} Ctrl-C, {sum(counts.values())} runs: " +
              ", ".join(f"{k}: {v}" for k, v in counts.most_common()))
    for outcome, text in examples.items():
        print(f"example {outcome}: {' '.join(text.split())[:200]}")
    bad = sum(v for c in results.values() for k, v in c.items()
              if k in ("hang", "traceback", "torn checkpoint") or k.startswith("wrong"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
