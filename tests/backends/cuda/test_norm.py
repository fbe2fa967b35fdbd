"""Batch norm kernels against numpy: (N, C, H, W) and (N, C) inputs, float32 and float64."""
import numpy as np
import pytest

FLOATS = [np.float32, np.float64]
SHAPES = [(2, 3, 4, 5), (5, 4), (3, 2, 9, 9)]  # the last has more than one block of samples


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_train_forward_and_backward(be, ref, dtype, shape):
    rng = np.random.default_rng(len(shape))
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)  # offset: tests the two-pass var
    w = rng.standard_normal(c).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    y, mean, invstd, var = be.batch_norm_train_forward(be.from_numpy(x), be.from_numpy(w),
                                                       be.from_numpy(b), 1e-5)
    expect = ref.batch_norm_train_forward(x.astype(np.float64), w, b, 1e-5)
    t = ref.tol(dtype)
    for got, want in zip((y, mean, invstd, var), expect):
        np.testing.assert_allclose(be.to_numpy(got), want, rtol=t["rtol"] * 10, atol=t["atol"] * 10)
    g = rng.standard_normal(shape).astype(dtype)
    dx, dw, db = be.batch_norm_backward(be.from_numpy(g), be.from_numpy(x), be.from_numpy(w),
                                        mean, invstd)
    want = ref.batch_norm_backward(g.astype(np.float64), x.astype(np.float64), w,
                                   be.to_numpy(mean).astype(np.float64),
                                   be.to_numpy(invstd).astype(np.float64))
    for got, exp in zip((dx, dw, db), want):
        assert be.to_numpy(got).dtype == dtype
        np.testing.assert_allclose(be.to_numpy(got), exp, rtol=t["rtol"] * 10, atol=t["atol"] * 10)


@pytest.mark.parametrize("dtype", FLOATS)
def test_eval_forward(be, ref, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 2, 2)).astype(dtype)
    mean, var = rng.standard_normal(3).astype(dtype), (rng.random(3) + 0.5).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    y = be.batch_norm_eval_forward(*(be.from_numpy(v) for v in (x, mean, var, w, b)), 1e-3)
    s = (1, 3, 1, 1)
    expect = (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + 1e-3) * w.reshape(s) + b.reshape(s)
    np.testing.assert_allclose(be.to_numpy(y), expect, **ref.tol(dtype))


def test_backward_matches_torch(ref):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((3, 2, 4, 4))
    w, b = rng.standard_normal(2), rng.standard_normal(2)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=1e-5).backward(
        torch.tensor(g))
    _, mean, invstd, _ = ref.batch_norm_train_forward(x, w, b, 1e-5)
    dx, dw, db = ref.batch_norm_backward(g, x, w, mean, invstd)
    for mine, theirs in ((dx, tx), (dw, tw), (db, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-9, atol=1e-9)
