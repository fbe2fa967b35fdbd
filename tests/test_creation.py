"""``arange``, ``linspace`` and ``eye`` are built by the backend (no host array) and equal
numpy's (length and every value, bit for bit, float32 rounding included) and PyTorch's
integer and identity results."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg

rng = np.random.default_rng(11)
ARANGE = [(5,), (0,), (-3,), (2, 9), (9, 2), (1, 10, 3), (10, 1, -3), (0.1, 1.0, 0.1),
          (-1.7, 2.3, 0.3), (0, 1, 1 / 3), (2.5,), (1e8, 1e8 + 5, 0.7), (3, 4.5, 0.5),
          (-5, 5, 0.001)] + [tuple(np.round(rng.uniform(-50, 50, 2), 3)) +
                            (float(np.round(rng.uniform(0.01, 3), 4)),) for _ in range(20)]


@pytest.mark.parametrize("args", ARANGE, ids=str)
@pytest.mark.parametrize("dtype", [None, "float64", "int64"])
def test_arange_equals_numpy_bit_for_bit(args, dtype):
    want = np.arange(*args)
    want = want.astype(dtype or (np.int64 if want.dtype.kind == "i" else np.float32))
    got = tg.arange(*args, dtype=dtype).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_arange_integers_match_torch():
    for args in [(7,), (2, 9), (10, 1, -3), (-4, 4, 3)]:
        assert tg.arange(*args).tolist() == torch.arange(*args).tolist()
        assert tg.arange(*args).dtype == np.int64


@pytest.mark.parametrize("args", [(0, 1, 5), (0, 1, 0), (3, 3, 1), (2, -7, 1), (-1, 1, 101),
                                  (0, 1e-310, 5), (1e-3, 7.7, 64), (5, 5, 4), (-2.5, 1e6, 33)],
                         ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_linspace_equals_numpy_bit_for_bit(args, dtype):
    want = np.linspace(*args).astype(dtype)
    got = tg.linspace(*args, dtype=dtype).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_linspace_float32_within_torchs_own_distance():
    # PyTorch computes float32 linspace in float32 (from both ends); ours is numpy's float64
    # value rounded once, so the two differ by at most an ulp or so of the range
    got, want = tg.linspace(-3, 7, 1000).numpy(), torch.linspace(-3, 7, 1000).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=2 * np.spacing(np.float32(7)))


@pytest.mark.parametrize("n, m", [(3, None), (2, 5), (5, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_eye_matches_torch(n, m, dtype):
    got = tg.eye(n, m, dtype=dtype)
    want = torch.eye(n, m if m is not None else n, dtype=getattr(torch, dtype))
    assert got.dtype == np.dtype(dtype) and got.tolist() == want.tolist()


def test_eye_requires_grad_and_bad_arguments():
    assert tg.eye(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="arange: step must be non-zero"):
        tg.arange(0, 3, 0)
    with pytest.raises(TypeError, match="arange: end must be a number"):
        tg.arange(0, "3")
    with pytest.raises(ValueError, match="eye: n must be non-negative"):
        tg.eye(-1)
