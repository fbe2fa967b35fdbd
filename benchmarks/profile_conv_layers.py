"""Per-layer profile of VGG-11's convolutions (CIFAR geometry, batch 32): ours against PyTorch.

For every 3x3 pad-1 convolution of VGG-11 on 32x32 inputs it times the CPU backend's forward,
input gradient and weight gradient against PyTorch's ``conv2d`` / ``nn.grad.conv2d_input`` /
``nn.grad.conv2d_weight`` on the same arrays (PyTorch in a process of its own, see
:mod:`_method`), taking turns as its method says, and prints a
markdown table (the weight gradient reuses the forward pass's Winograd input transform, as in a
training step): median ms of each, the ratio, our GFLOP/s (direct-convolution FLOPs,
2*N*O*C*9*OH*OW, whatever algorithm ran), that as % of this machine's SGEMM rate (numpy's BLAS,
2048^3, measured at start) and the algorithm the backend chose (``TGCNN_CONV_ALGO`` applies).
The load average before and after is printed; above 0.5 at the start the run is flagged.

    python benchmarks/profile_conv_layers.py [--reps 7] [--batch 32]
"""
from __future__ import annotations

import _method  # first: it keeps the environment as started, for the PyTorch peer
import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_cnn.backends.cpu import conv  # noqa: E402

# (in channels, out channels, input size, how many such layers) of VGG-11 on 32x32 inputs.
VGG11_LAYERS = [(3, 64, 32, 1), (64, 128, 16, 1), (128, 256, 8, 1), (256, 256, 8, 1),
                (256, 512, 4, 1), (512, 512, 4, 1), (512, 512, 2, 2)]
HYPER = ((1, 1), (1, 1), (1, 1), 1)


def sgemm_rate(size: int = 2048, reps: int = 3) -> float:
    """Median GFLOP/s of a float32 ``size``-cubed matmul through numpy's BLAS."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    a @ a
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - t)
    return 2 * size ** 3 / statistics.median(times) / 1e9


def _arrays(c: int, o: int, hw: int, batch: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch, c, hw, hw), dtype=np.float32),
            rng.standard_normal((o, c, 3, 3), dtype=np.float32) * 0.05,
            rng.standard_normal((batch, o, hw, hw), dtype=np.float32))


def torch_pass(name: str, c: int, o: int, hw: int, batch: int):
    """PyTorch's ``name`` pass of the layer on the same arrays as ours (the factory of the
    peer process, two threads)."""
    import torch
    torch.set_num_threads(2)
    x, w, go = _arrays(c, o, hw, batch)
    xt, wt, gt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(go)
    return {"forward": lambda: torch.nn.functional.conv2d(xt, wt, None, 1, 1),
            "input grad": lambda: torch.nn.grad.conv2d_input(x.shape, wt, gt, 1, 1),
            "weight grad": lambda: torch.nn.grad.conv2d_weight(xt, w.shape, gt, 1, 1)}[name]


def layer_rows(c: int, o: int, hw: int, batch: int, reps: int):
    """``(pass, ours s, PyTorch s, GFLOP, algorithm)`` for the three passes of one layer."""
    x, w, go = _arrays(c, o, hw, batch)
    gflop = 2 * batch * o * c * 9 * hw * hw / 1e9
    # The gradients get what a training step's forward pass hands them (the op layer's plan:
    # the Winograd input transform); each repetition gets its own copy of that plan.
    plan: dict = {}
    conv.conv2d_forward(x, w, None, *HYPER, plan=plan)
    ours = {"forward": lambda: conv.conv2d_forward(x, w, None, *HYPER, plan={}),
            "input grad": lambda: conv.conv2d_backward_input(go, w, x.shape, *HYPER,
                                                             plan=dict(plan)),
            "weight grad": lambda: conv.conv2d_backward_weight(go, x, w.shape, *HYPER,
                                                               plan=dict(plan))}
    rows = []
    for name in ours:
        algo = conv.conv_algorithm(name, x.shape, w.shape, *HYPER)
        theirs = (_method.Peer(Path(__file__).stem, "torch_pass", name, c, o, hw, batch)
                  if _method.have_peer() else None)
        r = _method.compare(ours[name], theirs, rounds=1, reps=reps)
        t_o, t_t = r["ours_s"], r["theirs_s"]
        if theirs is not None:
            theirs.close()
        rows.append((name, t_o, t_t, gflop, algo))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    import numba
    rate = sgemm_rate()
    load = os.getloadavg()[0]
    print(("FLAGGED (busy machine): " if load > 0.5 else "") +
          f"load average {load:.2f}; numba threads {numba.get_num_threads()}; "
          f"TGCNN_CONV_ALGO={os.environ.get('TGCNN_CONV_ALGO', 'auto')}; SGEMM {rate:.0f} GFLOP/s;"
          f" medians of {args.reps}\n")
    print("| layer | pass | ours ms | PyTorch ms | ours/PyTorch | ours GFLOP/s | % SGEMM | algo |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    total_o = total_t = 0.0
    for c, o, hw, count in VGG11_LAYERS:
        for name, t_o, t_t, gflop, algo in layer_rows(c, o, hw, args.batch, args.reps):
            total_o, total_t = total_o + count * t_o, total_t + count * t_t
            print(f"| {c}->{o} @{hw}x{hw}{' (x%d)' % count if count > 1 else ''} | {name} | "
                  f"{t_o * 1e3:.1f} | {t_t * 1e3:.1f} | {t_o / t_t:.2f} | {gflop / t_o:.0f} | "
                  f"{100 * gflop / t_o / rate:.0f} | {algo} |")
    print(f"| all convs | | {total_o * 1e3:.0f} | {total_t * 1e3:.0f} | {total_o / total_t:.2f} "
          f"| | | |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
