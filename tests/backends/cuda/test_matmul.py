"""Tiled matmul against numpy: sizes that are not multiples of the tile, batches, broadcasting."""
import numpy as np
import pytest


@pytest.mark.parametrize("sa,sb,dtype", [
    ((13, 9), (9, 11), np.float32), ((13, 9), (9, 11), np.float64),
    ((33, 17), (17, 33), np.float32),          # the largest the simulator suite runs
    ((1, 1), (1, 1), np.float64), ((2, 40), (40, 3), np.float32),   # K spans several tiles
    ((2, 5, 7), (2, 7, 6), np.float64), ((3, 1, 4, 5), (2, 5, 6), np.float32),
    ((2, 3, 4), (4, 2), np.float32), ((4,), (4, 3), np.float64), ((2, 3, 4), (4,), np.float64),
    ((3, 0), (0, 2), np.float32),
])
def test_matmul(be, ref, sa, sb, dtype):
    rng = np.random.default_rng(len(sa) * 10 + sa[-1])
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    out = be.to_numpy(be.matmul(be.from_numpy(a), be.from_numpy(b)))
    expect = np.matmul(a, b)
    assert out.dtype == dtype and out.shape == expect.shape
    np.testing.assert_allclose(out, expect, **ref.tol(dtype))


def test_matmul_inner_mismatch_raises(be):
    with pytest.raises(ValueError):
        be.matmul(be.from_numpy(np.ones((2, 3))), be.from_numpy(np.ones((4, 2))))


@pytest.mark.parametrize("ta,tb", [(False, True), (True, False), (True, True)])
@pytest.mark.parametrize("sa,sb", [((13, 9), (9, 11)), ((2, 5, 7), (2, 7, 6)), ((2, 3, 4), (4, 2))])
def test_matmul_with_transposed_operands(be, ref, ta, tb, sa, sb):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    stored_a = np.ascontiguousarray(np.swapaxes(a, -1, -2)) if ta else a
    stored_b = np.ascontiguousarray(np.swapaxes(b, -1, -2)) if tb else b
    out = be.to_numpy(be.matmul(be.from_numpy(stored_a), be.from_numpy(stored_b), ta, tb))
    np.testing.assert_allclose(out, np.matmul(a, b), **ref.tol(np.float32))
