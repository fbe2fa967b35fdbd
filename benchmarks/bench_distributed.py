"""Benchmark: data-parallel training on MPI against one process, on the same cores.

A VGG training step (torchvision's configuration A, VGG-11, with a 512-wide head on 32x32x3
inputs, 10 classes, SGD with momentum), global batch 32:

* one process with 2 threads (batch 32);
* ``mpiexec -n 2``, one thread each (batch 16 per rank, gradients averaged by
  DistributedDataParallel): images/s, the time spent reducing gradients per step and the
  bytes each rank reduces per step.

The two alternate for ``--rounds`` rounds (the machine is shared: quote the medians and the
ratio of one run). ``--model vgg16`` times configuration D the same way. Prints one JSON line
per measurement and a summary. On one machine DistributedDataParallel sums the gradients
through shared memory; ``--mpi-allreduce`` times MPI's non-blocking allreduce instead (its
reduction before 2026-12-06, less the separate division pass).

Run: ``python benchmarks/bench_distributed.py [--steps 8] [--rounds 2] [--model vgg11]``
(needs the ``mpi`` extra).

``--interleave`` times the two reductions against each other inside one 2-rank job
(alternating steps), which a busy machine disturbs least.

``--project STEP_S BYTES BUCKETS`` prints, without measuring, the ring-allreduce projection
of benchmarks/RESULTS.md from such measurements (:func:`projection`).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

BATCH, CLASSES, SIZE = 32, 10, 32


def _step_function(model_name: str, rank: int, world: int, bucket_mb: float = 25,
                   shared_memory: bool | None = None):
    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn import models
    from tinygrad_cnn.optim import SGD

    tg.manual_seed(0)
    model = models.get_builder(model_name)(num_classes=CLASSES, input_size=SIZE, head="small",
                                           hidden=512)
    model.train()
    ddp = None
    if world > 1:
        from tinygrad_cnn.nn.parallel import DistributedDataParallel

        model = ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_mb,
                                             shared_memory=shared_memory)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 3, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    lo, hi = rank * BATCH // world, (rank + 1) * BATCH // world
    xt, yt = tg.Tensor(x[lo:hi]), tg.Tensor(y[lo:hi])

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        opt.step()
    return step, ddp


def role(model_name: str, steps: int, warmup: int, bucket_mb: float,
         shared_memory: bool | None = None) -> None:
    """One measurement in this process (a rank of mpiexec, or a single process)."""
    world, rank = 1, 0
    if int(os.environ.get("PMI_SIZE", "1")) > 1:
        from tinygrad_cnn import distributed as dist

        dist.init_process_group()
        world, rank = dist.get_world_size(), dist.get_rank()
    import numba

    step, ddp = _step_function(model_name, rank, world, bucket_mb, shared_memory)
    for _ in range(warmup):
        step()
    times, comm = [], []
    for _ in range(steps):
        if ddp is not None:
            dist.barrier()
            before = ddp.comm_seconds
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if ddp is not None:
            comm.append(ddp.comm_seconds - before)
    if rank == 0:
        med = statistics.median(times)
        out = {"model": model_name, "processes": world, "threads": numba.get_num_threads(),
               "step_s": round(med, 4), "images_per_s": round(BATCH / med, 1)}
        if ddp is not None:
            out.update(bucket_cap_mb=bucket_mb,
                       allreduce_s_per_step=round(statistics.median(comm), 4),
                       bytes_per_step=ddp.bytes_per_step, buckets=len(ddp.buckets),
                       reduction="shared memory" if ddp.shared is not None else "MPI allreduce")
        print(json.dumps(out), flush=True)


def interleaved(model_name: str, steps: int, warmup: int, bucket_mb: float) -> None:
    """A rank of ``--interleave``: two copies of the model in one job, one reduced through
    shared memory and one through MPI's allreduce, their steps alternating so both see the
    same load (the least noisy comparison on a shared machine); rank 0 prints the medians."""
    from tinygrad_cnn import distributed as dist

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    variants = {name: (*_step_function(model_name, rank, world, bucket_mb, shared), [], [])
                for name, shared in (("shared memory", None), ("MPI allreduce", False))}
    for i in range(warmup + steps):
        for step, ddp, times, comm in variants.values():
            dist.barrier()
            before, t0 = ddp.comm_seconds, time.perf_counter()
            step()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
                comm.append(ddp.comm_seconds - before)
    if rank == 0:
        out = {name: {"step_s": round(statistics.median(t), 4),
                      "images_per_s": round(BATCH / statistics.median(t), 1),
                      "allreduce_s_per_step": round(statistics.median(c), 4),
                      "reduction": "shared memory" if d.shared is not None else "MPI allreduce"}
               for name, (_, d, t, c) in variants.items()}
        out["load_average"] = [round(v, 2) for v in os.getloadavg()]
        print(json.dumps(out), flush=True)


def _run(cmd: list[str], threads: int) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"benchmark run failed: {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


#: link speeds (Gbit/s), machine counts and per-message latency of the projection
LINKS_GBIT = (10, 25, 100)
MACHINES = (2, 4, 8, 16, 32, 64)
LATENCY_S = 25e-6


def projection(step_s: float, nbytes: int, buckets: int, machines: int, gbit: float,
               latency_s: float = LATENCY_S) -> float:
    """Scaling efficiency of ``machines`` machines, each computing ``step_s`` per step on its
    own batch, with a ring allreduce of ``nbytes`` gradient bytes in ``buckets`` reductions
    after backward (no overlap): each machine sends and receives 2(N-1)/N of the bytes and
    each reduction takes 2(N-1) latency-bound steps.

    Example:
        >>> round(projection(1.0, 125_000_000, 1, 2, 1.0, 0.0), 3)  # 1 Gbit/s, 125 MB: 1 s
        0.5
    """
    n = int(machines)
    comm = 2 * (n - 1) / n * nbytes * 8 / (gbit * 1e9) + 2 * (n - 1) * buckets * latency_s
    return step_s / (step_s + comm)


def projection_table(step_s: float, nbytes: int, buckets: int) -> str:
    """The projection as a markdown table: rows = machines, columns = link speeds."""
    head = "| machines | " + " | ".join(f"{g} Gbit/s" for g in LINKS_GBIT) + " |"
    rows = [head, "|---|" + "---|" * len(LINKS_GBIT)]
    for n in MACHINES:
        cells = [f"{100 * projection(step_s, nbytes, buckets, n, g):.0f} %" for g in LINKS_GBIT]
        rows.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default="vgg11")
    ap.add_argument("--bucket-mb", type=float, default=25,
                    help="DistributedDataParallel's bucket_cap_mb")
    ap.add_argument("--mpi-allreduce", action="store_true",
                    help="reduce with MPI's allreduce, not shared memory (shared_memory=False)")
    ap.add_argument("--interleave", action="store_true",
                    help="one 2-rank job alternating steps of the shared-memory and the MPI "
                         "allreduce reduction (medians of both)")
    ap.add_argument("--only-mpi", action="store_true", help="skip the single process")
    ap.add_argument("--project", nargs=3, type=float, metavar=("STEP_S", "BYTES", "BUCKETS"),
                    help="print the ring-allreduce projection from these measurements")
    ap.add_argument("--role", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.project:
        step_s, nbytes, buckets = args.project
        print(projection_table(step_s, int(nbytes), int(buckets)))
        return
    if args.role:
        if args.interleave:
            interleaved(args.model, args.steps, args.warmup, args.bucket_mb)
            return
        role(args.model, args.steps, args.warmup, args.bucket_mb,
             False if args.mpi_allreduce else None)
        return
    me = [sys.executable, __file__, "--role", "--model", args.model, "--steps", str(args.steps),
          "--warmup", str(args.warmup), "--bucket-mb", str(args.bucket_mb),
          *(["--mpi-allreduce"] if args.mpi_allreduce else [])]
    mpiexec = str(Path(sys.executable).with_name("mpiexec"))
    mpiexec = mpiexec if Path(mpiexec).exists() else shutil.which("mpiexec")
    if args.interleave:
        print(json.dumps(_run([mpiexec, "-n", "2", *me, "--interleave"], threads=1)))
        return
    single, multi = [], []
    for _ in range(args.rounds):
        if not args.only_mpi:
            single.append(_run(me, threads=2))
            print(json.dumps(single[-1]), flush=True)
        multi.append(_run([mpiexec, "-n", "2", *me], threads=1))
        print(json.dumps(multi[-1]), flush=True)
    if args.only_mpi:
        return
    one = statistics.median(r["images_per_s"] for r in single)
    two = statistics.median(r["images_per_s"] for r in multi)
    load = os.getloadavg()
    print(json.dumps({"summary": args.model, "single_2_threads_images_per_s": one,
                      "mpi_2x1_images_per_s": two, "ratio": round(two / one, 3),
                      "allreduce_s_per_step": statistics.median(r["allreduce_s_per_step"]
                                                                for r in multi),
                      "bytes_per_step": multi[0]["bytes_per_step"],
                      "buckets": multi[0]["buckets"], "reduction": multi[0]["reduction"],
                      "load_average": [round(v, 2) for v in load]}))


if __name__ == "__main__":
    main()
