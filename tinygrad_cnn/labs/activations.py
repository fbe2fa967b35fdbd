"""Lab ``activations`` (notes §3.5, §4.1): the activation maps of one test image at the end of
every conv block of a CNN trained briefly on ``shapes``, most activated channels first; and how
different the last block's features are for images of the same and of different classes.

Example:
    >>> cosine_matrix(np.array([[1.0, 0.0], [1.0, 1.0]])).round(3).tolist()
    [[1.0, 0.707], [0.707, 1.0]]
"""
from __future__ import annotations

import os

import numpy as np

from tinygrad_cnn import nn
from tinygrad_cnn.training import OptionError, activation_maps, grid_image

from . import draw, shapes_model
from .common import forward, save_picture
from .result import LabResult, Table

#: maps shown per block in the picture
SHOWN = 8


def cosine_matrix(features: np.ndarray) -> np.ndarray:
    """Cosine similarity of every pair of rows of ``features`` (see the module example)."""
    f = np.asarray(features, np.float64)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    return f @ f.T


def run(out: str | os.PathLike[str], seed: int = 0, epochs: int = 8, n_train: int = 2000,
        index: int = 0) -> LabResult:
    """Train, capture the maps of test image ``index``, write ``activations.png`` into ``out``.

    Example:
        >>> import tempfile
        >>> r = run(tempfile.mkdtemp(), epochs=1, n_train=20)
        >>> [row[1] for row in r.tables[0].rows]
        ['8x16x16', '16x8x8', '32x8x8']
    """
    trained = shapes_model.train(seed, epochs, n_train)
    if isinstance(index, bool) or int(index) != index or not 0 <= index < len(trained.y_test):
        raise OptionError("index", f"must be a test image index in 0..{len(trained.y_test) - 1}"
                                   f", got {index!r}")
    image = trained.normalised(trained.x_test[index:index + 1])[0]
    label = trained.classes[int(trained.y_test[index])]
    rows, panels = [], [draw.titled(draw.tile_image(trained.x_test[index], 96),
                                    f"test image {index}: {label}")]
    for block, layer in enumerate(shapes_model.BLOCK_ENDS, start=1):
        maps = activation_maps(trained.model, image, layer)
        top = maps.order[:3]
        rows.append([f"block {block} (layer {layer})", "x".join(map(str, maps.maps.shape)),
                     ", ".join(f"{int(c)}: {maps.scores[c]:.3g}" for c in top),
                     float((maps.maps == 0).mean())])
        shown = maps.ranked(SHOWN)
        panels.append(draw.titled(grid_image(shown, ncols=SHOWN, tile_px=64, gap=3).convert("RGB"),
                                  f"block {block}: {maps.maps.shape[0]} maps "
                                  f"{maps.maps.shape[1]}x{maps.maps.shape[2]}, "
                                  f"{len(shown)} most activated"))
    # §4.1: last-block features of the whole test set, compared within and across classes
    last = shapes_model.BLOCK_ENDS[-1]
    body = nn.Sequential(*list(trained.model.children())[:int(last) + 1])  # shares the weights
    feats = forward(body, trained.normalised(trained.x_test)).mean(axis=(2, 3))
    sim = cosine_matrix(feats)
    same = trained.y_test[:, None] == trained.y_test[None, :]
    off = ~np.eye(len(sim), dtype=bool)
    within, across = float(sim[same & off].mean()), float(sim[~same].mean())
    tables = [
        Table(f"activation maps of test image {index} ('{label}'), model trained {epochs} epochs "
              f"(test accuracy {trained.test_acc:.1%})",
              ["block", "maps (CxHxW)", "top channels: mean activation", "zero fraction"], rows),
        Table(f"cosine similarity of block-{len(shapes_model.BLOCK_ENDS)} features "
              f"(channel means) over {len(sim)} test images",
              ["pairs", "mean similarity"], [["same class", within], ["different classes",
                                                                       across]]),
    ]
    findings = [
        "spatial size shrinks and the number of maps grows block by block: "
        + " -> ".join(r[1] for r in rows),
        f"after ReLU {min(r[3] for r in rows):.0%} to {max(r[3] for r in rows):.0%} of the "
        f"activations are "
        f"exactly zero",
        f"images of the same class give {'more' if within > across else 'NOT more'} similar "
        f"last-block features than images of different classes ({within:.3f} vs {across:.3f})",
    ]
    path = save_picture(draw.pad(draw.vstack(panels, gap=14)), out, "activations")
    return LabResult("activations", "Activations lab: maps through a trained CNN "
                     "(notes 3.5, 4.1)", tables, findings, path,
                     {"within": within, "across": across, "label": label})
