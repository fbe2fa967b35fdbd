"""Benchmark (c) and (d): a VGG-11 training step, ours against PyTorch's CPU build.

(c) forward, cross-entropy, backward and SGD update of VGG-11 (torchvision's configuration A)
    with a 512-wide classifier head on 32x32x3 inputs, batch 32: median seconds over repeats;
(d) first-call latency of that step in a fresh process with a warm Numba cache.

Run: ``python benchmarks/bench_train_step.py [--repeats 10]`` (PyTorch: ``pip install -e .[bench]``).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

BATCH, CLASSES, SIZE = 32, 10, 32


def _data(dtype=np.float32):
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, 3, SIZE, SIZE)).astype(dtype), rng.integers(0, CLASSES, BATCH)


def ours_step():
    """Return a function running one training step of our VGG-11."""
    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn.models import vgg11
    from tinygrad_cnn.optim import SGD

    tg.manual_seed(0)
    model = vgg11(num_classes=CLASSES, input_size=SIZE, head="small", hidden=512)
    model.train()
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data()
    xt, yt = tg.Tensor(x), tg.Tensor(y)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_step(device: str = "cpu"):
    """Return a function running one training step of the same network in PyTorch."""
    import torch
    from torch import nn

    torch.set_num_threads(2)
    torch.manual_seed(0)
    layers, c = [], 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(512, CLASSES))
    model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data()
    xt, yt = torch.tensor(x, device=device), torch.tensor(y, device=device)

    def step() -> float:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def median_time(step, repeats: int) -> float:
    step()
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_call_latency() -> dict[str, float]:
    """Run in a fresh interpreter: import, build and time the very first step."""
    code = ("import time; t0 = time.perf_counter(); import sys; sys.path.insert(0, %r); "
            "import bench_train_step as b; step = b.ours_step(); t1 = time.perf_counter(); "
            "step(); t2 = time.perf_counter(); "
            "import json; print(json.dumps({'import_build_s': t1 - t0, 'first_step_s': t2 - t1}))"
            % os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)   # warm cache
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    ours = median_time(ours_step(), args.repeats)
    try:
        theirs = median_time(torch_step(), args.repeats)
    except ImportError:
        theirs = float("nan")
    latency = first_call_latency()
    print("| benchmark | ours (s) | PyTorch (s) | ours / PyTorch |")
    print("|---|---|---|---|")
    print(f"| (c) VGG-11 train step, batch 32, 32x32x3, 512 head | {ours:.3f} | {theirs:.3f} | "
          f"{ours / theirs:.2f} |")
    print(f"| (d) first step in a fresh process, warm cache | {latency['first_step_s']:.2f} | | |")
    print(f"| (d') import + model build in that process | {latency['import_build_s']:.2f} | | |")


if __name__ == "__main__":
    main()
