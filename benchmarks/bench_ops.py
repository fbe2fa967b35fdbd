"""Op-level CPU benchmark: tinygrad-cnn's conv / max-pool kernels against PyTorch's.

Prints a markdown table by the method of :mod:`_method` (ours and PyTorch, in a process of its
own, take turns of a few repetitions; median ratio of three rounds with its spread; load
average before and after; busy-machine runs flagged). PyTorch is optional.

    python benchmarks/bench_ops.py [--rounds 3] [--reps 10] [--contend]
"""
from __future__ import annotations

import _method  # first: it keeps the environment as started, for the PyTorch peer
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
from tinygrad_cnn.backends.cpu import conv, pool  # noqa: E402

# (name, ours, PyTorch's peer factory and its arguments, or None)
Case = tuple[str, Callable[[], object], tuple | None]
CONV = (32, 64, 32, 64)  # (a): batch, in channels, size, filters
POOL = (32, 64, 32)  # (b): batch, channels, size


def _conv_arrays(n: int, c: int, hw: int, o: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, c, hw, hw), dtype=np.float32),
            rng.standard_normal((o, c, 3, 3), dtype=np.float32) * 0.05,
            rng.standard_normal((n, o, hw, hw), dtype=np.float32))


def _pool_arrays(n: int, c: int, hw: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    return (rng.standard_normal((n, c, hw, hw), dtype=np.float32),
            rng.standard_normal((n, c, hw // 2, hw // 2), dtype=np.float32))


def torch_conv(backward: bool, threads: int, n: int, c: int, hw: int, o: int) -> Callable:
    """PyTorch's forward, or forward + input and weight gradients, on the same arrays as ours
    (the factory of the peer process)."""
    import torch
    torch.set_num_threads(threads)
    xt, wt, gt = (torch.from_numpy(a) for a in _conv_arrays(n, c, hw, o))

    def fwd():
        return torch.nn.functional.conv2d(xt, wt, None, 1, 1)

    def fwd_bwd():
        torch.nn.functional.conv2d(xt, wt, None, 1, 1)
        return torch.ops.aten.convolution_backward(
            gt, xt, wt, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, True, False])

    return fwd_bwd if backward else fwd


def conv_cases(threads: int, n: int, c: int, hw: int, o: int) -> list[Case]:
    """3x3, pad 1 convolution forward, and forward + input and weight gradients."""
    x, w, go = _conv_arrays(n, c, hw, o)
    hyper = ((1, 1), (1, 1), (1, 1), 1)

    def ours_fwd():
        return conv.conv2d_forward(x, w, None, *hyper)

    def ours_fwd_bwd():  # as the Conv2d op runs it: the forward's transforms go to backward
        plan: dict = {}
        conv.conv2d_forward(x, w, None, *hyper, plan=plan)
        conv.conv2d_backward_input(go, w, x.shape, *hyper, plan=plan)
        return conv.conv2d_backward_weight(go, x, w.shape, *hyper, plan=plan)

    shape = f"{n}x{c}x{hw}x{hw}, {o} filters"
    return [(f"conv 3x3 pad 1 ({shape}) forward", ours_fwd,
             ("torch_conv", False, threads, n, c, hw, o)),
            (f"conv 3x3 pad 1 ({shape}) forward+backward", ours_fwd_bwd,
             ("torch_conv", True, threads, n, c, hw, o))]


def pool_cases(threads: int, n: int, c: int, hw: int) -> list[Case]:
    """2x2 stride-2 max pooling forward + backward."""
    x, go = _pool_arrays(n, c, hw)

    def ours():
        _, idx = pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        return pool.max_pool2d_backward(go, idx, x.shape)

    return [(f"max-pool 2x2 ({n}x{c}x{hw}x{hw}) forward+backward", ours,
             ("torch_pool", threads, n, c, hw))]


def torch_pool(threads: int, n: int, c: int, hw: int) -> Callable:
    """PyTorch's max-pool forward (with indices) + backward on the same arrays as ours (the
    factory of the peer process)."""
    import torch
    torch.set_num_threads(threads)
    xt, gt = (torch.from_numpy(a) for a in _pool_arrays(n, c, hw))

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
    print(_method.versions(args.threads) + f"; {args.rounds} rounds of {args.reps}"
          + (", one core kept busy" if args.contend else "") + "\n")
    print(_method.header())
    with _method.contention(args.contend):
        for name, ours, peer in (conv_cases(args.threads, *CONV)
                                 + pool_cases(args.threads, *POOL)):
            theirs = (_method.Peer(Path(__file__).stem, *peer) if _method.have_peer()
                      else None)
            print(_method.row(name, _method.compare(ours, theirs, args.rounds, args.reps)),
                  flush=True)
            if theirs is not None:
                theirs.close()


if __name__ == "__main__":
    main()
