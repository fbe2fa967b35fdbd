"""Lab ``sobel`` (notes §3.2-3.4): a 6x6 image with a vertical edge convolved with the Sobel
kernel step by step -- one receptive field, its dot product, the whole output map -- then the
same kernel, its transpose and two diagonal versions on a real digit.

The convolution is the framework's own ``nn.functional.conv2d`` (a cross-correlation, as in
PyTorch and in the notes: the kernel is laid on the input without flipping).

Example:
    >>> import tempfile
    >>> r = run(out=tempfile.mkdtemp())
    >>> r.data["output"].tolist()[0]
    [0.0, 40.0, 40.0, 0.0]
"""
from __future__ import annotations

import os

import numpy as np
from PIL import Image

import tinygrad_cnn as tg
from tinygrad_cnn.data import load_dataset
from tinygrad_cnn.nn import functional as F

from . import draw
from .common import save_picture
from .result import LabResult, Table

#: the notes' example: bright left half (10), dark right half (0), a vertical edge in the middle
EDGE_IMAGE = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=np.float32)
#: Sobel kernel for vertical edges: positive left column, zero centre, negative right column
SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float32)
#: the four edge detectors applied to the digit: the kernel, its transpose, two diagonals
KERNELS = {
    "vertical (Sobel)": SOBEL,
    "horizontal (transpose)": SOBEL.T.copy(),
    "diagonal /": np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype=np.float32),
    "diagonal \\": np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]], dtype=np.float32),
}
#: output position whose receptive field the lab spells out (on the edge)
STEP = (0, 1)


def convolve(image: np.ndarray, kernel: np.ndarray, padding: int = 0) -> np.ndarray:
    """One-channel 2-D convolution (stride 1) through ``nn.functional.conv2d``.

    Example:
        >>> convolve(np.ones((3, 3)), np.ones((3, 3))).tolist()
        [[9.0]]
    """
    x = tg.Tensor(np.asarray(image, np.float32)[None, None])
    w = tg.Tensor(np.asarray(kernel, np.float32)[None, None])
    return F.conv2d(x, w, padding=padding).numpy()[0, 0]


def pick_digit(data: str, seed: int) -> tuple[np.ndarray, str]:
    """A grey test image of ``data`` (the first 7 if there is a class "7"), scaled up smoothly
    (bilinear) by an integer factor to at least 24 pixels, in 0..1; and its class name.

    Example:
        >>> image, label = pick_digit("digits", seed=0)
        >>> image.shape, label, 0.0 <= float(image.min()) <= float(image.max()) <= 1.0
        ((24, 24), '7', True)
    """
    splits = load_dataset(data, seed=seed)
    x, y, classes = splits.test.x, splits.test.y, splits.classes
    wanted = [i for i in range(len(y)) if classes[int(y[i])] == "7"]
    i = wanted[0] if wanted else 0
    grey = Image.fromarray(np.rint(x[i].astype(np.float32).mean(axis=0)).astype(np.uint8))
    factor = max(1, -(-24 // max(grey.size)))
    grey = grey.resize((grey.size[0] * factor, grey.size[1] * factor), Image.BILINEAR)
    return np.asarray(grey, np.float32) / 255.0, classes[int(y[i])]


def run(out: str | os.PathLike[str], seed: int = 0, data: str = "digits") -> LabResult:
    """Run the lab, write ``sobel.png`` into ``out`` and return the tables and numbers."""
    output = convolve(EDGE_IMAGE, SOBEL)
    r, c = STEP
    field = EDGE_IMAGE[r:r + 3, c:c + 3]
    steps = [[f"({r + i},{c + j})", float(field[i, j]), float(SOBEL[i, j]),
              float(field[i, j] * SOBEL[i, j]) + 0.0] for i in range(3) for j in range(3)]
    dot = float((field * SOBEL).sum())
    steps.append(["sum = output", "", "", dot])
    digit, label = pick_digit(data, seed)
    maps = {name: convolve(digit, k, padding=1) for name, k in KERNELS.items()}
    digit_rows = [[name, float(np.abs(m).mean()), float(m.max()), float(m.min())]
                  for name, m in maps.items()]
    tables = [
        Table("input 6x6 (a vertical edge between columns 2 and 3)",
              [f"c{j}" for j in range(6)], EDGE_IMAGE.tolist()),
        Table(f"receptive field of output ({r},{c}): input x kernel, summed (dot product)",
              ["input pixel", "input", "kernel", "product"], steps),
        Table("output map 4x4 (6 - 3 + 1 = 4 without padding)",
              [f"c{j}" for j in range(4)], output.tolist()),
        Table(f"edge kernels on a '{label}' from {data} ({digit.shape[0]}x{digit.shape[1]}, "
              f"padding 1)", ["kernel", "mean abs response", "max", "min"], digit_rows),
    ]
    strongest = max(digit_rows, key=lambda row: row[1])[0]
    findings = [
        f"the Sobel kernel answers only where the edge is: output columns 1-2 are {dot:g}, "
        f"columns 0 and 3 (flat regions) are {float(output[:, 0].max()):g}",
        f"the output is {output.shape[0]}x{output.shape[1]}: a 3x3 kernel without padding "
        f"shrinks a 6x6 input by 2",
        f"on the '{label}' the strongest mean response comes from the {strongest} kernel",
    ]
    top = draw.hstack([draw.matrix_image(EDGE_IMAGE, "input (red: receptive field)",
                                         box=(r, c, 3, 3)),
                       draw.matrix_image(SOBEL, "Sobel kernel"),
                       draw.matrix_image(output, "output map")])
    bottom = draw.hstack([draw.titled(draw.tile_image(digit, 128), f"digit '{label}'")]
                         + [draw.titled(draw.tile_image(m, 128), name) for name, m in maps.items()])
    picture = save_picture(draw.pad(draw.vstack([top, bottom], gap=20)), out, "sobel")
    return LabResult("sobel", "Sobel lab: convolution step by step (notes 3.2-3.4)", tables,
                     findings, picture, {"output": output, "dot": dot, "digit_maps": maps})
