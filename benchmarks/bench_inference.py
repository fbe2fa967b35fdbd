"""Benchmark (f): VGG-16 inference at 224x224 (eval mode, no autograd), batch 1 and 8.

Ours (``tinygrad_cnn.models.vgg16``) against torchvision's configuration D built from
``torch.nn`` layers (the same shapes, 1000 classes), by the method of :mod:`_method`
(turns of a few repetitions each, median ratio of rounds with spread, load average, busy runs
flagged).

    python benchmarks/bench_inference.py [--rounds 3] [--reps 10] [--contend] [--batches 1 8]
"""
from __future__ import annotations

import _method  # first: it keeps the environment as started, for the PyTorch peer
import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "0")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def ours_infer(batch: int):
    """A function running our VGG-16 forward pass under ``no_grad`` in eval mode."""
    import tinygrad_cnn as tg
    from tinygrad_cnn.models import vgg16
    tg.manual_seed(0)
    model = vgg16(num_classes=1000, input_size=224)
    model.eval()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((batch, 3, 224, 224), np.float32))

    def run():
        with tg.no_grad():
            return model(x).numpy()
    return run


def torch_infer(batch: int):
    """The same network and pass in PyTorch."""
    import torch
    from torch import nn
    torch.set_num_threads(2)
    torch.manual_seed(0)
    layers = _method.torch_vgg_features(VGG16)
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                          nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                          nn.Linear(4096, 1000)).eval()
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((batch, 3, 224, 224),
                                                                   np.float32))

    def run():
        with torch.no_grad():
            return model(x).numpy()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _method.add_arguments(parser)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    peer = _method.have_peer()
    print(_method.versions() + f"; {args.rounds} rounds of {args.reps}"
          + (", one core kept busy" if args.contend else "") + "\n")
    print(_method.header())
    with _method.contention(args.contend):
        for batch in args.batches:
            theirs = _method.Peer(Path(__file__).stem, "torch_infer", batch) if peer else None
            r = _method.compare(ours_infer(batch), theirs, args.rounds, args.reps)
            if theirs is not None:
                theirs.close()
            print(_method.row(f"(f) VGG-16 224x224 inference, eval, no_grad, batch {batch}", r),
                  flush=True)


if __name__ == "__main__":
    main()
