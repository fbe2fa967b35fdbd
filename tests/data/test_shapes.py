"""The built-in shapes dataset: deterministic, balanced, fast, and each class is what it claims."""

import numpy as np
import pytest

from tinygrad_cnn.data.errors import DataError
from tinygrad_cnn.data.shapes import CLASSES, generate_shapes, load_shapes


def test_shape_dtype_and_balance():
    x, y = generate_shapes(200, seed=0)
    assert x.shape == (200, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.array_equal(np.bincount(y, minlength=10), [20] * 10)


def test_deterministic_in_seed():
    a, ya = generate_shapes(50, seed=7)
    b, yb = generate_shapes(50, seed=7)
    c, _ = generate_shapes(50, seed=8)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.array_equal(a, c)


def test_splits_are_independent_of_each_other():
    s1 = load_shapes(seed=1, n_train=30, n_test=20)
    s2 = load_shapes(seed=1, n_train=60, n_test=20)
    assert np.array_equal(s1.test.x, s2.test.x)
    assert not np.array_equal(s1.train.x[:30], s1.test.x[:20].repeat(2, axis=0)[:30])
    assert s1.classes == CLASSES and s1.input_shape == (3, 32, 32) and not s1.hflip_ok


def test_other_sizes():
    x, _ = generate_shapes(20, seed=0, size=48)
    assert x.shape == (20, 3, 48, 48)
    with pytest.raises(DataError):
        generate_shapes(5, size=8)
    with pytest.raises(DataError, match="n_train"):
        load_shapes(n_train=0)


def test_images_vary_in_position_and_colour():
    x, y = generate_shapes(300, seed=0, noise=0.0)
    # Objects are where the image differs most from its corner colour; their centres must spread out.
    diff = np.abs(x.astype(np.int16) - x[:, :, :1, :1]).sum(axis=1) > 60
    rows = np.array([np.flatnonzero(d.any(axis=1)).mean() for d in diff])
    cols = np.array([np.flatnonzero(d.any(axis=0)).mean() for d in diff])
    assert rows.std() > 2.0 and cols.std() > 2.0
    assert x.reshape(300, 3, -1).mean(axis=2).std(axis=0).min() > 30


def _grad_energy(img):
    g = img.astype(np.float64)  # (C, H, W): colour contrast counts, not just brightness
    gx = np.abs(np.diff(g, axis=2))[:, :-1, :].sum()
    gy = np.abs(np.diff(g, axis=1))[:, :, :-1].sum()
    d1 = np.abs(g[:, 1:, 1:] - g[:, :-1, :-1]).sum()  # along the backslash diagonal
    d2 = np.abs(g[:, 1:, :-1] - g[:, :-1, 1:]).sum()  # along the slash diagonal
    return gx, gy, d1, d2


def test_stripe_classes_have_their_orientation():
    x, y = generate_shapes(400, seed=3, noise=0.0)
    checks = {"hbars": lambda gx, gy, d1, d2: gy > 1.5 * gx, "vbars": lambda gx, gy, d1, d2: gx > 1.5 * gy,
              "slash": lambda gx, gy, d1, d2: d1 > 1.5 * d2, "backslash": lambda gx, gy, d1, d2: d2 > 1.5 * d1}
    for name, ok in checks.items():
        imgs = x[y == CLASSES.index(name)]
        assert np.mean([ok(*_grad_energy(im)) for im in imgs]) > 0.9, name


def test_slash_mirrors_backslash():
    # A horizontal flip turns one diagonal class into the other: flips must stay off for shapes.
    x, y = generate_shapes(400, seed=4, noise=0.0)
    flipped = x[y == CLASSES.index("slash")][..., ::-1]
    assert np.mean([(lambda gx, gy, d1, d2: d2 > 1.5 * d1)(*_grad_energy(im)) for im in flipped]) > 0.9


@pytest.mark.parametrize("name, inside, outside", [
    ("square", [(0, 0), (7, -7)], [(9, 0), (9, 9)]),
    ("circle", [(0, 0), (5, 5)], [(7, 7), (0, 9)]),
    ("ring", [(7, 0), (0, -7)], [(0, 0), (6, 6)]),
    ("frame", [(7, 0), (7, 7)], [(0, 0), (3, 3)]),
    ("plus", [(0, 0), (7, 0), (0, -7)], [(6, 6), (-6, 6)]),
    ("triangle", [(0, 0), (-6, 6), (0, -6)], [(-6, -6), (6, -6)]),
])
def test_shape_geometry(name, inside, outside):
    # Signed distance at offsets (dx, dy) from the centre, half size 8, stroke 2 (y grows downwards).
    from tinygrad_cnn.data.shapes import _sdf
    one = lambda v: np.full((1, 1, 1), v, np.float32)  # noqa: E731
    pts = inside + outside
    dx = np.array([p[0] for p in pts], np.float32)[None, None]
    dy = np.array([p[1] for p in pts], np.float32)[None, None]
    d = _sdf(CLASSES.index(name), dx, dy, one(8), one(2), one(4), one(0), np.zeros((1, 1, 1), int))[0, 0]
    assert np.all(d[:len(inside)] < 0) and np.all(d[len(inside):] > 0)
