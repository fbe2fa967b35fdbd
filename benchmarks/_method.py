"""The one benchmark method of benchmarks/: ours and PyTorch take turns, a few repetitions each.

Three rounds (``--rounds``) of at least 10 repetitions (``--reps``) after a warm-up, run in
turns of up to 5 repetitions of one side, then of the other (:func:`turn`); each round
gives a ratio of medians (ours / PyTorch); reported is the median of the round ratios with
their spread (min-max), the medians of all repetitions, and the 1-minute load average before
and after. A run that starts with the load average above 0.5 is flagged ``FLAGGED (busy
machine)`` in its table: such figures are not for publication.

``--contend`` starts a process spinning numpy work pinned to the last core for the whole run
(the "one core busy" measurement of the issue).

PyTorch runs in a process of its own (:class:`Peer`), started with the environment the
benchmark found: tinygrad-cnn sets ``GOMP_SPINCOUNT=0`` when imported (idle OpenMP threads that
spin slow its kernels 1.6x), and the OpenMP runtime is one library per process, read once when
loaded, so in one process one of the two would run with the other's setting (PyTorch's small
ops took 60 us instead of 13 us with ours; our step 1.6x longer with PyTorch's). The two
processes take turns as above; the peer times its own calls.

Example:
    >>> r = compare(lambda: None, lambda: None, rounds=1, reps=2, warmup=0)
    >>> sorted(r)[:3]
    ['load_after', 'load_before', 'ours_s']
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

LOAD_LIMIT = 0.5
# The environment as this process started: the benchmark scripts import this module first.
_START_ENV = dict(os.environ)
# Turns: each side runs up to _TURN timed repetitions back to back, after at least _SETTLE_S of
# untimed runs of the same function. One repetition each way measured the switch, not the
# work: PyTorch's idle OpenMP threads spin for milliseconds after a parallel region (into our
# repetition), and a core left idle while the other process waits starts slow (our 8 ms conv
# took 13 ms after a 50 ms pause).
_TURN = 5
_SETTLE_S = 0.02
_PEER_CODE = """
import importlib, json, sys
importlib.import_module(sys.argv[5])  # first: its OpenMP runtime reads this environment
sys.path[:0] = json.loads(sys.argv[1])
import _method
fn = getattr(importlib.import_module(sys.argv[2]), sys.argv[3])(*json.loads(sys.argv[4]))
fn()
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(_method.turn(fn, int(line))), flush=True)
"""


def turn(fn: Callable[[], object], reps: int) -> list[float]:
    """Seconds of ``reps`` calls of ``fn`` in a row, after at least _SETTLE_S of untimed ones."""
    end = time.perf_counter() + _SETTLE_S
    fn()
    while time.perf_counter() < end:
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def peer_environment() -> dict[str, str]:
    """The environment this process started with (for PyTorch in a process of its own)."""
    return dict(_START_ENV)


def have_peer() -> bool:
    """Whether PyTorch is installed (it is only a yardstick)."""
    return importlib.util.find_spec("torch") is not None


class Peer:
    """``module.factory(*args)``, a function of no arguments, run in a process of its own with
    ``first`` (PyTorch, or tinygrad_cnn for one of ours) imported first and the environment
    the benchmark started with; :meth:`turn` runs it there as :func:`turn` does here (the pipe
    round trip is not counted)."""

    def __init__(self, module: str, factory: str, *args: object, first: str = "torch") -> None:
        here = Path(__file__).resolve().parent
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _PEER_CODE, json.dumps([str(here), str(here.parent)]),
             module, factory, json.dumps(list(args)), first],
            env=peer_environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self._proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"peer {module}.{factory}{args} did not start")

    def turn(self, reps: int) -> list[float]:
        """Seconds of ``reps`` calls in a row in the peer's process (see :func:`turn`)."""
        self._proc.stdin.write(f"{reps}\n")
        self._proc.stdin.flush()
        return json.loads(self._proc.stdout.readline())

    def close(self) -> None:
        """End the peer's process."""
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._proc.wait(30)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rounds``, ``--reps`` and ``--contend`` (one home for the method's defaults)."""
    parser.add_argument("--rounds", type=int, default=3, help="rounds (ratio: median of rounds)")
    parser.add_argument("--reps", type=int, default=10, help="repetitions per round (in turns)")
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


def compare(ours: Side, theirs: Side | None, rounds: int = 3, reps: int = 10,
            warmup: int = 2) -> dict[str, float]:
    """Time ``ours`` and ``theirs`` (a function here, a :class:`Peer`, or None) in turns;
    seconds and ratios as described above."""
    return compare_all([(ours, theirs)], rounds, reps, warmup)[0]


Side = Callable[[], object] | Peer


def _runner(side: Side | None) -> Callable[[int], list[float]] | None:
    if side is None:
        return None
    return side.turn if isinstance(side, Peer) else lambda n: turn(side, n)


def compare_all(pairs: list[tuple[Side, Side | None]], rounds: int = 3, reps: int = 10,
                warmup: int = 2) -> list[dict[str, float]]:
    """:func:`compare` for several pairs at once, their turns in one rotation (ours, theirs,
    the next pair's ours, ...), so that every pair's ratio comes from the same minutes; either
    side may be a :class:`Peer`.

    Example:
        >>> [sorted(r)[-1] for r in compare_all([(lambda: None, None)] * 2, 1, 2, 0)]
        ['theirs_s', 'theirs_s']
    """
    load_before = os.getloadavg()[0]
    runs = [(_runner(ours), _runner(theirs)) for ours, theirs in pairs]
    for _ in range(warmup):
        for run_ours, run_theirs in runs:
            run_ours(0)
            if run_theirs is not None:
                run_theirs(0)
    times: list[tuple[list[float], list[float], list[float]]] = [([], [], []) for _ in runs]
    for _ in range(rounds):
        rounds_o: list[list[float]] = [[] for _ in runs]
        rounds_t: list[list[float]] = [[] for _ in runs]
        for first in range(0, reps, _TURN):
            n = min(_TURN, reps - first)
            for (run_ours, run_theirs), t_o, t_t in zip(runs, rounds_o, rounds_t):
                t_o += run_ours(n)
                if run_theirs is not None:
                    t_t += run_theirs(n)
        for (all_o, all_t, ratios), t_o, t_t in zip(times, rounds_o, rounds_t):
            all_o += t_o
            all_t += t_t
            if t_t:
                ratios.append(statistics.median(t_o) / statistics.median(t_t))
    load_after, nan = os.getloadavg()[0], float("nan")
    return [{"ours_s": statistics.median(all_o),
             "theirs_s": statistics.median(all_t) if all_t else nan,
             "ratio": statistics.median(ratios) if ratios else nan,
             "ratio_min": min(ratios) if ratios else nan,
             "ratio_max": max(ratios) if ratios else nan,
             "load_before": load_before, "load_after": load_after}
            for all_o, all_t, ratios in times]


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


def versions(peer_threads: int = 2) -> str:
    """One line: library versions and thread counts."""
    import numba
    import numpy as np
    if have_peer():
        peer = (f"torch {importlib.metadata.version('torch')} ({peer_threads} threads, in its "
                f"own process with the environment this one started with)")
    else:
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
