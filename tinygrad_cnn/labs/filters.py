"""Lab ``filters`` (notes §3.8): train a small CNN briefly on ``shapes``, then show what each
first-layer filter responds to -- its weights, the test-image patch that activates it most, and
which of eight oriented edges (four orientations, both polarities) excites it most.

Example:
    >>> [NAMES[a] for a in ORIENTATIONS[:3]]
    ['horizontal', 'diagonal /', 'vertical']
"""
from __future__ import annotations

import os

import numpy as np

from tinygrad_cnn.training import conv_filters, grid_image

from . import draw, shapes_model
from .common import forward, save_picture
from .result import LabResult, Table

#: edge orientations, degrees of the edge line (90: a vertical edge, bright on the left at +)
ORIENTATIONS = (0, 45, 90, 135)
NAMES = {0: "horizontal", 45: "diagonal /", 90: "vertical", 135: "diagonal \\"}
#: half-width of the probes' ramp: wider than a 5x5 filter's half-diagonal (2.83 pixels)
RAMP = 3.0


def edge_image(angle: int, size: int = 32, ramp: float = RAMP) -> np.ndarray:
    """A grey (3, size, size) step edge through the centre along a line at ``angle`` degrees
    (0 horizontal: bright above; 90 vertical: bright on the left), from +1 to -1 over a linear
    ramp ``2 * ramp`` pixels wide -- so a small filter inside the ramp sees the same gradient at
    every orientation, without the staircase of a hard digital diagonal.

    Example:
        >>> edge_image(0, 8, ramp=1.0)[0, :, 0].tolist()
        [1.0, 1.0, 1.0, 0.5, -0.5, -1.0, -1.0, -1.0]
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) - (size - 1) / 2
    t = np.deg2rad(angle)
    distance = -yy * np.cos(t) - xx * np.sin(t)
    side = np.clip(distance / ramp, -1.0, 1.0).astype(np.float32)
    return np.repeat(side[None], 3, axis=0)


def run(out: str | os.PathLike[str], seed: int = 0, epochs: int = 8, n_train: int = 2000
        ) -> LabResult:
    """Train, probe the first conv layer, write ``filters.png`` into ``out``.

    Example:
        >>> import tempfile
        >>> r = run(tempfile.mkdtemp(), epochs=1, n_train=20)
        >>> len(r.tables[0].rows), r.picture.name
        (8, 'filters.png')
    """
    trained = shapes_model.train(seed, epochs, n_train)
    name, weights = conv_filters(trained.model)
    first = trained.model.get_submodule(name)
    k = weights.shape[-1]
    responses = forward(first, trained.normalised(trained.x_test))  # (N, F, H, W), before ReLU
    probes = np.stack([s * edge_image(a) for a in ORIENTATIONS for s in (1.0, -1.0)])
    probe_out = forward(first, probes)[..., k:-k, k:-k]  # away from the zero padding
    probe_best = probe_out.reshape(len(probes), weights.shape[0], -1).max(axis=2)  # (P, F)
    rows, tiles = [], []
    pad = k // 2
    images = np.pad(trained.x_test, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for f in range(weights.shape[0]):
        n, r, c = np.unravel_index(int(np.argmax(responses[:, f])), responses[:, f].shape)
        patch = images[n, :, r:r + k, c:c + k]
        p = int(np.argmax(probe_best[:, f]))
        angle, sign = ORIENTATIONS[p // 2], ("+" if p % 2 == 0 else "-")
        rows.append([f, f"{NAMES[angle]} ({sign})", float(probe_best[p, f]),
                     float(responses[n, f, r, c]), trained.classes[int(trained.y_test[n])],
                     f"({r},{c})"])
        grey = np.repeat(weights[f].sum(axis=0, keepdims=True), 3, axis=0)
        tiles += [weights[f], grey, patch.astype(np.float32)]
    tables = [Table(f"first layer {name}: {weights.shape[0]} filters {k}x{k}x3 after {epochs} "
                    f"epochs on {trained.n_train} shapes (test accuracy {trained.test_acc:.1%})",
                    ["filter", "best oriented edge", "edge response", "best test response",
                     "from a", "at (row,col)"], rows)]
    kinds = sorted({r[1].split(" (")[0] for r in rows})
    findings = [f"test accuracy after {epochs} epochs: {trained.test_acc:.1%} "
                f"(train {trained.train_acc:.1%})",
                f"the {weights.shape[0]} filters' favourite oriented edges cover {len(kinds)} of "
                f"the {len(ORIENTATIONS)} orientations ({', '.join(kinds)})"]
    grid = grid_image(np.stack(tiles), ncols=6, tile_px=56, gap=4)
    path = save_picture(draw.pad(draw.titled(
        grid, "per filter: weights (RGB), weights summed over RGB, the test patch that "
              "activates it most (two filters a row)")),
        out, "filters")
    return LabResult("filters", "Filters lab: what the first layer's filters respond to "
                     "(notes 3.8)", tables, findings, path,
                     {"weights": weights, "probe_best": probe_best, "test_acc": trained.test_acc})
