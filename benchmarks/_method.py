"""The one benchmark method of benchmarks/: ours and PyTorch alternate inside every repetition.

Three rounds (``--rounds``) of at least 10 repetitions (``--reps``) after a warm-up; each round
gives a ratio of medians (ours / PyTorch); reported is the median of the round ratios with
their spread (min-max), the medians of all repetitions, and the 1-minute load average before
and after. A run that starts with the load average above 0.5 is flagged ``FLAGGED (busy
machine)`` in its table: such figures are not for publication.

``--contend`` starts a process spinning numpy work pinned to the last core for the whole run
(the "one core busy" measurement of the issue).

Example:
    >>> r = compare(lambda: None, lambda: None, rounds=1, reps=2, warmup=0)
    >>> sorted(r)[:3]
    ['load_after', 'load_before', 'ours_s']
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import statistics
import time
from typing import Callable, Iterator

LOAD_LIMIT = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rounds``, ``--reps`` and ``--contend`` (one home for the method's defaults)."""
    parser.add_argument("--rounds", type=int, default=3, help="rounds (ratio: median of rounds)")
    parser.add_argument("--reps", type=int, default=10, help="alternating repetitions per round")
    parser.add_argument("--contend", action="store_true",
                        help="keep one core busy with a spinning numpy loop during the run")


def _spin(stop) -> None:  # pragma: no cover - runs in a child process
    import numpy as np
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    a = np.random.default_rng(0).standard_normal(1 << 16)
    while not stop.is_set():
        a = np.sqrt(a * a + 1.0) - 0.5


@contextlib.contextmanager
def contention(enabled: bool) -> Iterator[None]:
    """Keep the last core busy with numpy work inside the block when ``enabled``."""
    if not enabled:
        yield
        return
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    proc = ctx.Process(target=_spin, args=(stop,), daemon=True)
    proc.start()
    time.sleep(0.5)
    try:
        yield
    finally:
        stop.set()
        proc.join(5)


def compare(ours: Callable[[], object], theirs: Callable[[], object] | None, rounds: int = 3,
            reps: int = 10, warmup: int = 2) -> dict[str, float]:
    """Time ``ours`` and ``theirs`` alternately; seconds and ratios as described above."""
    load_before = os.getloadavg()[0]
    for _ in range(warmup):
        ours()
        if theirs is not None:
            theirs()
    all_o: list[float] = []
    all_t: list[float] = []
    ratios = []
    for _ in range(rounds):
        t_o, t_t = [], []
        for _ in range(reps):
            start = time.perf_counter()
            ours()
            t_o.append(time.perf_counter() - start)
            if theirs is not None:
                start = time.perf_counter()
                theirs()
                t_t.append(time.perf_counter() - start)
        all_o += t_o
        all_t += t_t
        if t_t:
            ratios.append(statistics.median(t_o) / statistics.median(t_t))
    nan = float("nan")
    return {"ours_s": statistics.median(all_o),
            "theirs_s": statistics.median(all_t) if all_t else nan,
            "ratio": statistics.median(ratios) if ratios else nan,
            "ratio_min": min(ratios) if ratios else nan,
            "ratio_max": max(ratios) if ratios else nan,
            "load_before": load_before, "load_after": os.getloadavg()[0]}


def header() -> str:
    """Markdown header matching :func:`row`."""
    return ("| benchmark | ours | PyTorch | ours / PyTorch (median of rounds) | spread | "
            "load before / after | |\n|---|---:|---:|---:|---|---|---|")


def row(name: str, r: dict[str, float], unit: str = "ms") -> str:
    """One markdown row; ``FLAGGED`` when the load average was above the limit at the start."""
    scale = 1e3 if unit == "ms" else 1.0
    flag = "FLAGGED (busy machine)" if r["load_before"] > LOAD_LIMIT else "ok"
    return (f"| {name} | {r['ours_s'] * scale:.4g} {unit} | {r['theirs_s'] * scale:.4g} {unit} "
            f"| {r['ratio']:.2f} | {r['ratio_min']:.2f}-{r['ratio_max']:.2f} | "
            f"{r['load_before']:.2f} / {r['load_after']:.2f} | {flag} |")


def versions() -> str:
    """One line: library versions and thread counts."""
    import numba
    import numpy as np
    try:
        import torch
        peer = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        peer = "torch not installed"
    return (f"numpy {np.__version__}, numba {numba.__version__} ({numba.get_num_threads()} "
            f"threads), {peer}; TGCNN_CONV_ALGO={os.environ.get('TGCNN_CONV_ALGO', 'auto')}")


def torch_vgg_features(config: list) -> list:
    """PyTorch layers of a VGG feature extractor (``config``: channels and ``"M"``, as in
    torchvision): 3x3 pad-1 conv + ReLU, 2x2 max-pool; the peer of our ``vgg`` features."""
    from torch import nn

    layers, c = [], 3
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    return layers
