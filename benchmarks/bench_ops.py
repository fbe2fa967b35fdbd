"""Op-level CPU benchmark: tinygrad-cnn's conv / max-pool kernels against PyTorch in one process.

Prints a markdown table by the method of :mod:`_method` (ours and PyTorch alternate inside
every repetition; median ratio of three rounds with its spread; load average before and after;
busy-machine runs flagged). PyTorch is optional.

    python benchmarks/bench_ops.py [--rounds 3] [--reps 10] [--contend]
"""
from __future__ import annotations

import os

# Idle OpenBLAS/OpenMP threads that keep spinning after a GEMM slow the next Numba parallel
# kernel about 2x: make them sleep. Must be set before numpy / numba are imported.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _method  # noqa: E402
from tinygrad_cnn.backends.cpu import conv, pool  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is only a yardstick
    torch = None

Case = tuple[str, Callable[[], object], Callable[[], object] | None]


def _torch_conv(x: np.ndarray, w: np.ndarray, go: np.ndarray) -> tuple[Callable, Callable]:
    """PyTorch's forward, and forward + input and weight gradients, on the same arrays."""
    xt, wt, gt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(go)

    def fwd():
        return torch.nn.functional.conv2d(xt, wt, None, 1, 1)

    def fwd_bwd():
        torch.nn.functional.conv2d(xt, wt, None, 1, 1)
        return torch.ops.aten.convolution_backward(
            gt, xt, wt, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, True, False])

    return fwd, fwd_bwd


def conv_cases(n: int = 32, c: int = 64, hw: int = 32, o: int = 64) -> list[Case]:
    """3x3, pad 1 convolution forward, and forward + input and weight gradients."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    w = rng.standard_normal((o, c, 3, 3), dtype=np.float32) * 0.05
    go = rng.standard_normal((n, o, hw, hw), dtype=np.float32)
    hyper = ((1, 1), (1, 1), (1, 1), 1)

    def ours_fwd():
        return conv.conv2d_forward(x, w, None, *hyper)

    def ours_fwd_bwd():  # as the Conv2d op runs it: the forward's transforms go to backward
        plan: dict = {}
        conv.conv2d_forward(x, w, None, *hyper, plan=plan)
        conv.conv2d_backward_input(go, w, x.shape, *hyper, plan=plan)
        return conv.conv2d_backward_weight(go, x, w.shape, *hyper, plan=plan)

    torch_fwd, torch_fwd_bwd = _torch_conv(x, w, go) if torch is not None else (None, None)
    shape = f"{n}x{c}x{hw}x{hw}, {o} filters"
    return [(f"conv 3x3 pad 1 ({shape}) forward", ours_fwd, torch_fwd),
            (f"conv 3x3 pad 1 ({shape}) forward+backward", ours_fwd_bwd, torch_fwd_bwd)]


def pool_cases(n: int = 32, c: int = 64, hw: int = 32) -> list[Case]:
    """2x2 stride-2 max pooling forward + backward."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    go = rng.standard_normal((n, c, hw // 2, hw // 2), dtype=np.float32)

    def ours():
        _, idx = pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        return pool.max_pool2d_backward(go, idx, x.shape)

    return [(f"max-pool 2x2 ({n}x{c}x{hw}x{hw}) forward+backward", ours,
             _torch_pool(x, go) if torch is not None else None)]


def _torch_pool(x: np.ndarray, go: np.ndarray) -> Callable:
    """PyTorch's max-pool forward (with indices) + backward on the same arrays."""
    xt, gt = torch.from_numpy(x), torch.from_numpy(go)

    def theirs():
        _, idx = torch.nn.functional.max_pool2d(xt, 2, 2, return_indices=True)
        return torch.ops.aten.max_pool2d_with_indices_backward(
            gt, xt, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)

    return theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _method.add_arguments(parser)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(_method.versions() + f"; {args.rounds} rounds of {args.reps}"
          + (", one core kept busy" if args.contend else "") + "\n")
    print(_method.header())
    with _method.contention(args.contend):
        for name, ours, theirs in conv_cases() + pool_cases():
            print(_method.row(name, _method.compare(ours, theirs, args.rounds, args.reps)),
                  flush=True)


if __name__ == "__main__":
    main()
