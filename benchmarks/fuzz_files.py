"""The long fuzz run of the file readers: >= 1,000 seeded mutants of every kind (byte flips,
truncations, structural h5py edits, the same edits with recomputed checksums, CIFAR python
pickles, npz archives), each loaded in a worker process under a 2 GiB address-space limit.

It trains a small ``vgg11_bn`` run through the API first (the same file layout as a default
``tgcnn train`` checkpoint), unless ``--checkpoint`` names one written by ``tgcnn train``.
Prints a Markdown table of outcomes and exits 1 when any mutant ended in a traceback, a
memory blow-up, a crash, a hang or silently accepted corruption.

    python benchmarks/fuzz_files.py --mutants 1000 --seed 0
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _train(folder: Path) -> Path:
    from tinygrad_cnn.training import TrainConfig, train

    out = folder / "model.h5"
    train(TrainConfig(epochs=1, limit=64, width=0.125, batch_size=16, out=str(out)))
    return out


def main() -> int:
    from tinygrad_cnn.testing.fuzz import KINDS, MEMORY_LIMIT, run_fuzz

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=1000, help="mutants of each kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", default=None, help="a tgcnn train checkpoint to mutate")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a hang")
    ap.add_argument("--keep", default=None, help="folder to copy failing mutants into")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(args.checkpoint) if args.checkpoint else _train(Path(tmp))
        size = ckpt.stat().st_size
        started = time.perf_counter()
        last = [time.perf_counter()]

        def progress(kind: str, done: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                print(f"  {kind}: {done}/{args.mutants}", file=sys.stderr, flush=True)

        report = run_fuzz(ckpt, {k: args.mutants for k in kinds}, seed=args.seed,
                          limit=MEMORY_LIMIT, timeout=args.timeout, progress=progress,
                          keep=args.keep)
        seconds = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"checkpoint {ckpt.name} ({size} bytes), seed "
          f"{args.seed}, {args.mutants} mutants per kind, {seconds:.0f} s, load average "
          f"{load:.1f}, worker memory limit {MEMORY_LIMIT >> 30} GiB")
    print(report.table())
    for key, text in report.examples.items():
        print(f"example {key}: {text}")
    print(f"failures: {report.failures()}")
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
