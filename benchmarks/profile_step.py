"""Where the VGG-11 training step's time goes: convolution kernels, other kernels, the rest.

Wraps every CPU backend kernel (:data:`tinygrad_cnn.backends.api.KERNEL_NAMES`, plus the fused
``conv2d_relu_forward``) with a timer, runs the benchmark step of ``bench_train_step.py``
(``--steps`` times after two warm-up steps) and prints the split: convolution kernels
(``conv2d_*``), all other kernels, and autograd + ops + Python (the step's wall time minus
both). Wall-clock shares; the load average before and after is printed.

    python benchmarks/profile_step.py [--steps 10]
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import collections  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_train_step  # noqa: E402
from tinygrad_cnn.backends import get_backend  # noqa: E402
from tinygrad_cnn.backends.api import KERNEL_NAMES  # noqa: E402

spent: collections.Counter[str] = collections.Counter()


def _instrument() -> None:
    be = get_backend("cpu")
    for name in list(KERNEL_NAMES) + ["conv2d_relu_forward"]:
        fn = getattr(be, name, None)
        if fn is None:
            continue

        def timed(*args, _fn=fn, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - start
        setattr(be, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    _instrument()
    step = bench_train_step.ours_step()
    step()
    step()
    spent.clear()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    total = time.perf_counter() - start
    conv = sum(t for n, t in spent.items() if n.startswith("conv2d"))
    other = sum(spent.values()) - conv
    print(f"load average {load:.2f} / {os.getloadavg()[0]:.2f}; {args.steps} steps, "
          f"{total / args.steps * 1e3:.0f} ms per step\n")
    print("| part | ms per step | share |\n|---|---:|---:|")
    for name, t in [("convolution kernels", conv), ("other kernels", other),
                    ("autograd + ops + Python", total - conv - other)]:
        print(f"| {name} | {t / args.steps * 1e3:.1f} | {100 * t / total:.0f} % |")
    print("\ntop kernels: " + ", ".join(f"{n} {t / args.steps * 1e3:.1f} ms"
                                        for n, t in spent.most_common(6)))


if __name__ == "__main__":
    main()
