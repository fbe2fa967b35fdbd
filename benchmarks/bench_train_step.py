"""Benchmark (c), (c'), (d) and (e): a VGG-11 training step, ours against PyTorch's CPU build.

(c)  forward, cross-entropy, backward and SGD update of VGG-11 (torchvision's configuration A)
     with a 512-wide classifier head on 32x32x3 inputs, batch 32, through ``nn.Module``s and
     the optimizer;
(c') the same step written with ``nn.functional`` calls on new leaf tensors every step (the
     weights live in numpy arrays; SGD without momentum by hand, in both frameworks);
(d)  the first step in a fresh process with a warm Numba cache;
(e)  peak RSS of a process running 5 steps, ours and PyTorch, each in its own fresh process.

(c) and (c') follow :mod:`_method`: turns of a few repetitions, median ratio of three rounds with
its spread, load average before and after, busy-machine runs flagged.

Run: ``python benchmarks/bench_train_step.py [--rounds 3] [--reps 10] [--contend] [--rows c']
[--together]`` (PyTorch: ``pip install -e .[bench]``). ``--rows c'`` times (c') alone, so that it
starts from an idle machine too (after (c) the load average is the benchmark's own);
``--together`` times the rows in one rotation of turns (ours (c), PyTorch (c), ours (c'),
PyTorch (c'), ...), so that their ratios come from the same minutes, each of the four steps
in a process of its own (ours too: in one process, our two steps slowed each other down).
"""
from __future__ import annotations

import _method  # first: it keeps the environment as started, for the PyTorch peer
import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
LR = 0.01


def _initial_params() -> list[np.ndarray]:
    """Float32 (weight, bias) arrays of the conv and linear layers, PyTorch's default init."""
    import tinygrad_cnn as tg
    from tinygrad_cnn.models import vgg11
    tg.manual_seed(0)
    model = vgg11(num_classes=CLASSES, input_size=SIZE, head="small", hidden=512)
    return [np.array(p.numpy(), np.float32) for p in model.parameters()]


def ours_functional_step():
    """A step through ``nn.functional`` with new leaf tensors for every parameter each step."""
    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    params = _initial_params()
    x, y = _data()

    def step() -> float:
        leaves = [tg.Tensor(p, requires_grad=True) for p in params]
        h, i = tg.Tensor(x), 0
        for v in VGG11:
            if v == "M":
                h = F.max_pool2d(h, 2)
            else:
                h = F.relu(F.conv2d(h, leaves[i], leaves[i + 1], padding=1))
                i += 2
        h = F.relu(F.linear(F.flatten(h, 1), leaves[i], leaves[i + 1]))
        h = F.dropout(h, 0.5, training=True)
        loss = F.cross_entropy(F.linear(h, leaves[i + 2], leaves[i + 3]), tg.Tensor(y))
        loss.backward()
        for p, leaf in zip(params, leaves):
            p -= LR * leaf.grad.numpy()
        return loss.item()
    return step


def torch_functional_step():
    """PyTorch's counterpart of :func:`ours_functional_step` (same parameter arrays)."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    params = _initial_params()
    x, y = _data()

    def step() -> float:
        leaves = [torch.tensor(p, requires_grad=True) for p in params]
        h, i = torch.tensor(x), 0
        for v in VGG11:
            if v == "M":
                h = F.max_pool2d(h, 2)
            else:
                h = F.relu(F.conv2d(h, leaves[i], leaves[i + 1], padding=1))
                i += 2
        h = F.relu(F.linear(torch.flatten(h, 1), leaves[i], leaves[i + 1]))
        h = F.dropout(h, 0.5, training=True)
        loss = F.cross_entropy(F.linear(h, leaves[i + 2], leaves[i + 3]), torch.tensor(y))
        loss.backward()
        with torch.no_grad():
            for p, leaf in zip(params, leaves):
                p -= LR * leaf.grad.numpy()
        return loss.item()
    return step


def torch_step(device: str = "cpu"):
    """Return a function running one training step of the same network in PyTorch."""
    import torch
    from torch import nn

    torch.set_num_threads(2)
    torch.manual_seed(0)
    layers = _method.torch_vgg_features(VGG11)
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


def peak_rss_mb(which: str, steps: int = 5) -> float:
    """Peak RSS (MB) of a fresh process that builds ``which`` ("ours"/"torch") and runs steps."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-child", which,
                          "--reps", str(steps)], check=True, capture_output=True, text=True,
                         env=_method.peer_environment() if which == "torch" else None)
    return float(out.stdout.strip().splitlines()[-1])


def _rss_child(which: str, steps: int) -> None:
    step = ours_step() if which == "ours" else torch_step()
    for _ in range(steps):
        step()
    # VmHWM belongs to this address space; ru_maxrss would carry the parent's peak over exec.
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _method.add_arguments(parser)
    parser.add_argument("--rss-child", choices=["ours", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--rows", default="c,c'",
                        help="which of (c) and (c') to time: c, c' or both")
    parser.add_argument("--together", action="store_true",
                        help="time the rows in one rotation of turns instead of one by one")
    args = parser.parse_args()
    if args.rss_child:
        return _rss_child(args.rss_child, args.reps)
    peer = _method.have_peer()
    print(_method.versions() + f"; {args.rounds} rounds of {args.reps}"
          + (", one core kept busy" if args.contend else "") + "\n")
    print(_method.header())
    rows = [(name, ours, theirs) for key, name, ours, theirs in [
        ("c", "(c) VGG-11 train step, nn.Module + SGD momentum, batch 32, 32x32x3, 512 head",
         ours_step, torch_step),
        ("c'", "(c') same step through nn.functional, new leaf tensors every step",
         ours_functional_step, torch_functional_step)] if key in args.rows.split(",")]
    with _method.contention(args.contend):
        for group in [rows] if args.together else [[row] for row in rows]:
            here = Path(__file__).stem
            pairs = [(_method.Peer(here, ours.__name__, first="tinygrad_cnn")
                      if args.together else ours(),
                      _method.Peer(here, theirs.__name__) if peer else None)
                     for _, ours, theirs in group]
            for (name, _, _), r in zip(group, _method.compare_all(pairs, args.rounds,
                                                                   args.reps)):
                print(_method.row(name, r, "s"), flush=True)
            for side in (s for pair in pairs for s in pair):
                if isinstance(side, _method.Peer):
                    side.close()
    latency = first_call_latency()
    print(f"\n(d) first step in a fresh process, warm cache: {latency['first_step_s']:.2f} s "
          f"(import + model build before it: {latency['import_build_s']:.2f} s)")
    rss = {w: peak_rss_mb(w) for w in (["ours", "torch"] if peer else ["ours"])}
    print("(e) peak RSS of a fresh process running 5 steps: "
          + ", ".join(f"{w} {mb:.0f} MB" for w, mb in rss.items()))


if __name__ == "__main__":
    main()
