"""GPU benchmark: the core issue's table on CUDA, ours (Numba CUDA) against PyTorch (cuDNN).

(a) conv 3x3 pad 1, 32x64x32x32, 64 filters: forward and forward+backward;
(b) max-pool 2x2 on 32x64x32x32, forward+backward;
(c) VGG-11 train step (512 head, 32x32x3, batch 32) on the GPU, and the same step of our code
    on the CPU for the "at least 5x faster than the 2-core CPU" target (run the CPU line on the
    2-core machine: ``python benchmarks/bench_train_step.py``).

Run: ``python benchmarks/bench_gpu.py [--repeats 20]``; needs a GPU and numba-cuda.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fn: Callable[[], object], sync: Callable[[], None], repeats: int,
           warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# (batch, channels, side) of the conv/pool benchmarks, batch and width of the VGG-11 step;
# --smoke shrinks them so the script's code can be checked under the CUDA simulator.
FULL = {"conv": (32, 64, 32), "step_batch": 32, "width": 1.0, "warmup": 2}
SMOKE = {"conv": (2, 4, 8), "step_batch": 1, "width": 0.0625, "warmup": 0}


def ours(repeats: int, sizes: dict = FULL) -> dict[str, float]:
    from numba import cuda

    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn.models import vgg11
    from tinygrad_cnn.optim import SGD

    rng = np.random.default_rng(0)
    n, c, side = sizes["conv"]
    x = tg.Tensor(rng.standard_normal((n, c, side, side)), device="cuda", requires_grad=True)
    w = tg.Tensor(rng.standard_normal((c, c, 3, 3)) * 0.05, device="cuda", requires_grad=True)
    g = tg.Tensor(rng.standard_normal((n, c, side, side)), device="cuda")
    gp = tg.Tensor(rng.standard_normal((n, c, side // 2, side // 2)), device="cuda")

    def conv_fb():
        F.conv2d(x, w, padding=1).backward(g)

    def pool_fb():
        F.max_pool2d(x, 2).backward(gp)

    tg.manual_seed(0)
    model = vgg11(num_classes=10, input_size=32, head="small", hidden=512,
                  width=sizes["width"]).to("cuda")
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = sizes["step_batch"]
    xb = tg.Tensor(rng.standard_normal((batch, 3, 32, 32)), device="cuda")
    yb = tg.Tensor(rng.integers(0, 10, batch), device="cuda")

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    warm = sizes["warmup"]
    with tg.no_grad():
        fwd = _timed(lambda: F.conv2d(x, w, padding=1), cuda.synchronize, repeats, warm)
    return {"conv_f": fwd, "conv_fb": _timed(conv_fb, cuda.synchronize, repeats, warm),
            "pool_fb": _timed(pool_fb, cuda.synchronize, repeats, warm),
            "step": _timed(step, cuda.synchronize, max(1, repeats // 2), warm),
            "device": _device_name(cuda)}


def _device_name(cuda) -> str:
    name = getattr(cuda.get_current_device(), "name", "CUDA simulator")
    return name.decode() if isinstance(name, bytes) else str(name)


def torch_peer(repeats: int) -> dict[str, float]:
    import torch
    from bench_train_step import torch_step

    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    x = torch.randn(32, 64, 32, 32, device=dev, requires_grad=True)
    w = torch.randn(64, 64, 3, 3, device=dev, requires_grad=True)
    g = torch.randn(32, 64, 32, 32, device=dev)
    gp = torch.randn(32, 64, 16, 16, device=dev)
    tf = torch.nn.functional
    with torch.no_grad():
        fwd = _timed(lambda: tf.conv2d(x, w, padding=1), torch.cuda.synchronize, repeats)
    step = torch_step(device="cuda")
    return {"conv_f": fwd,
            "conv_fb": _timed(lambda: tf.conv2d(x, w, padding=1).backward(g),
                              torch.cuda.synchronize, repeats),
            "pool_fb": _timed(lambda: tf.max_pool2d(x, 2).backward(gp), torch.cuda.synchronize,
                              repeats),
            "step": _timed(step, torch.cuda.synchronize, repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, to check the script under NUMBA_ENABLE_CUDASIM=1")
    parser.add_argument("--cpu-step", type=float, default=None,
                        help="seconds of our VGG-11 step on the 2-core CPU, for the speed-up column")
    args = parser.parse_args()
    a = ours(args.repeats, SMOKE if args.smoke else FULL)
    try:
        if args.smoke:
            raise RuntimeError("skipped in --smoke mode")
        b = torch_peer(args.repeats)
    except Exception as exc:  # no torch, or torch without CUDA: report ours alone
        print(f"PyTorch peer unavailable: {exc}")
        b = {k: float("nan") for k in ("conv_f", "conv_fb", "pool_fb", "step")}
    print(f"GPU: {a['device']}")
    print("| benchmark | ours (ms) | PyTorch cuDNN (ms) | ours / PyTorch |")
    print("|---|---|---|---|")
    for key, label in (("conv_f", "(a) conv forward"), ("conv_fb", "(a) conv forward+backward"),
                       ("pool_fb", "(b) max-pool forward+backward"),
                       ("step", "(c) VGG-11 train step, batch 32")):
        print(f"| {label} | {a[key] * 1e3:.2f} | {b[key] * 1e3:.2f} | {a[key] / b[key]:.2f} |")
    if args.cpu_step:
        print(f"\nspeed-up of the VGG-11 step over the 2-core CPU ({args.cpu_step:.3f} s): "
              f"{args.cpu_step / a['step']:.1f}x")


if __name__ == "__main__":
    main()
