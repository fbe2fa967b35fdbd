"""Data-path benchmark: the loader must not be the bottleneck of a training step.

Prints the median time to produce one augmented, normalised batch of 32 RGB 32x32 images and
the time to generate the built-in ``shapes`` dataset; compare the first with the VGG-11 step of
``bench_train_step.py`` (target: under 10 % of it).

Run: ``python benchmarks/bench_data.py``
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygrad_cnn.data import DataLoader  # noqa: E402
from tinygrad_cnn.data.shapes import generate_shapes  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4096, 3, 32, 32)).astype(np.uint8)
    loader = DataLoader(x, np.arange(len(x)) % 10, 32, augment=True, flip=True,
                        normalise=([120.0] * 3, [60.0] * 3), seed=0)
    it = iter(loader)
    next(it)
    times = []
    for _ in range(100):
        start = time.perf_counter()
        next(it)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    generate_shapes(6000, seed=0)
    shapes = time.perf_counter() - start
    print("| what | median |")
    print("|---|---|")
    print(f"| augmented batch of 32 (crop + flip + normalise), 3x32x32 | "
          f"{statistics.median(times) * 1e3:.2f} ms |")
    print(f"| generate 6000 `shapes` images | {shapes:.2f} s |")


if __name__ == "__main__":
    main()
