"""Selection, scans and indexing ops (ops/select.py) against PyTorch on the CPU: ties, NaN,
exact int64, zeros in products, repeated gather indices, empty dims."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

TIES = np.array([[2.0, np.nan, 1.0, 2.0, -1.0, 1.0], [0.0, 0.0, 3.0, np.nan, np.nan, -0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_sort_matches_torch_stable_with_nan_and_ties(dtype, descending, dim):
    x = TIES.astype(dtype)
    got = tg.tensor(x).sort(dim, descending=descending)
    want = torch.from_numpy(x).sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    assert got.indices.tolist() == want.indices.tolist()


def test_sort_descending_is_exact_for_large_int64():
    x = np.array([2**53 + 1, 2**53, 2**53 + 1, -2**63, 2**63 - 1], np.int64)
    got = tg.tensor(x).sort(descending=True)
    want = torch.from_numpy(x).sort(descending=True, stable=True)
    assert got.values.tolist() == want.values.tolist()
    assert got.indices.tolist() == want.indices.tolist()


@pytest.mark.parametrize("largest", [True, False])
def test_topk_and_arg_reductions_match_torch(largest):
    x = np.array([[3.0, 1.0, 3.0, 7.0], [5.0, 5.0, 0.0, -2.0]], np.float32)
    got, want = tg.tensor(x).topk(2, 1, largest=largest), torch.from_numpy(x).topk(
        2, 1, largest=largest)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    assert tg.tensor(x).argmax(1).tolist() == torch.from_numpy(x).argmax(1).tolist()
    assert tg.tensor(x).argmin(0).tolist() == torch.from_numpy(x).argmin(0).tolist()
    assert tg.tensor(x).argmax().item() == torch.from_numpy(x).argmax().item()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prod_and_cumsum_gradients_match_torch_with_zeros(dtype):
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, -2.0, 0.5]], dtype)
    t = tg.tensor(x, requires_grad=True)
    r = torch.tensor(x, requires_grad=True)
    w = np.arange(9, dtype=dtype).reshape(3, 3)
    ((t.prod(1) * tg.tensor(w[0])).sum() + (t.cumsum(0) * tg.tensor(w)).sum()
     + t.prod()).backward()
    ((r.prod(1) * torch.from_numpy(w[0])).sum() + (r.cumsum(0) * torch.from_numpy(w)).sum()
     + r.prod()).backward()
    np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), rtol=1e-6)


def test_gather_repeated_indices_accumulate_like_torch():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    idx = np.array([[3, 3, 0], [1, 1, 1]])
    t, r = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g = np.array([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]])
    t.gather(1, tg.tensor(idx)).backward(tg.tensor(g))
    r.gather(1, torch.from_numpy(idx)).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(t.grad.numpy(), r.grad.numpy())


def test_logic_reductions_and_one_hot_match_torch():
    x = np.array([[0, 1, 2], [3, 4, 5]])
    t, r = tg.tensor(x), torch.from_numpy(x)
    assert t.all(1).tolist() == r.all(1).tolist() and t.any(0).tolist() == r.any(0).tolist()
    assert t.all().item() is False and t.any().item() is True
    e = tg.zeros(0, 3)
    assert e.all(0).tolist() == [True] * 3 and e.any(0).tolist() == [False] * 3
    lab = np.array([[2, 0], [1, 3]])
    assert F.one_hot(tg.tensor(lab)).tolist() == torch.nn.functional.one_hot(
        torch.from_numpy(lab)).tolist()
    with pytest.raises(ValueError, match=r"\[0, 3\), got \[0, 3\]"):
        F.one_hot(tg.tensor(lab), 3)


def test_empty_dims_flow_through():
    e = tg.zeros(2, 0)
    assert e.cumsum(1).shape == (2, 0) and e.prod(1).tolist() == [1.0, 1.0]
    assert e.sort(1).values.shape == (2, 0) and e.gather(1, tg.tensor(
        np.zeros((2, 0), np.int64))).shape == (2, 0)


@pytest.mark.parametrize("name", ["tinygrad_cnn.ops.select", "tinygrad_cnn.backends.cpu.sort",
                                  "tinygrad_cnn.backends.cpu.scan",
                                  "tinygrad_cnn.backends.cpu.index"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_comparisons_keep_numpys_answers():
    x = np.array([0.1, np.nan, 2.0, -np.inf], np.float32)
    t = tg.tensor(x)
    for got, want in [(t == 0.1, x == 0.1), (t < 1, x < 1), (t != t, x != x), (t >= 2, x >= 2),
                      (~(t > 1), ~(x > 1)), ((t > 0) ^ (t < 1), (x > 0) ^ (x < 1))]:
        assert got.dtype == np.bool_ and got.tolist() == want.tolist()
    u = np.array([200, 3], np.uint8)
    big = np.array([2**53 + 1, 16777217])
    assert (tg.tensor(u) == -56).tolist() == (u == -56).tolist() == [False, False]
    assert (tg.tensor(u) < 300).tolist() == [True, True]
    assert (tg.tensor(big) == 2**53).tolist() == (big == 2**53).tolist()
    assert (tg.tensor(big) > 16777216.0).tolist() == (big > 16777216.0).tolist()
    assert (tg.tensor(u) == tg.tensor(np.array([200, 4]))).tolist() == [True, False]


def test_masked_setitem_matches_torch_values_and_gradients():
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    t, v = tg.tensor(x, requires_grad=True), tg.tensor(2.5, requires_grad=True)
    r = torch.tensor(x, requires_grad=True)
    rv = torch.tensor(2.5, requires_grad=True, dtype=torch.float64)
    z, zr = t * 1, r * 1
    z[z < 0] = v
    zr[zr < 0] = rv
    z[tg.tensor(np.array([False, True]))] = 9.0
    zr[torch.tensor([False, True])] = 9.0
    w = np.arange(6.0).reshape(2, 3)
    (z * tg.tensor(w)).sum().backward()
    (zr * torch.from_numpy(w)).sum().backward()
    assert z.tolist() == zr.tolist()
    np.testing.assert_array_equal(t.grad.numpy(), r.grad.numpy())
    assert v.grad.item() == rv.grad.item()


def test_integer_tensor_index_matches_torch_values_and_gradients():
    x = np.arange(12.0).reshape(4, 3)
    i = np.array([[3, -1], [0, 0]])
    t, r = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = t[tg.tensor(i)], r[torch.from_numpy(i)]
    g = np.arange(12.0).reshape(2, 2, 3)
    out.backward(tg.tensor(g))
    want.backward(torch.from_numpy(g))
    assert out.tolist() == want.tolist()
    np.testing.assert_array_equal(t.grad.numpy(), r.grad.numpy())
    with pytest.raises(IndexError, match="index 4 is out of bounds for dim 0 with size 4"):
        t[tg.tensor(np.array([0, 4]))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_bool_mask_read_matches_torch_values_and_gradients(dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4, 2))
    data = (a > 0) if dtype is np.bool_ else (a * 5).astype(dtype)
    for mask in [a[..., 0] > 0, a[:, 0, 0] > 0, a > 0.3, np.zeros((3, 4), bool),
                 np.ones(3, bool)]:
        x, t = tg.tensor(data), torch.tensor(data)
        got, want = x[tg.tensor(mask)], t[torch.tensor(mask)]
        assert got.dtype == data.dtype and got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    if dtype in (np.float32, np.float64):
        mask = a[..., 1] > 0
        x = tg.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        (x[tg.tensor(mask)] * tg.tensor(np.arange(2.0), dtype=dtype)).sum().backward()
        (t[torch.tensor(mask)] * torch.arange(2.0, dtype=t.dtype)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_bool_mask_read_on_an_empty_tensor():
    x = tg.zeros(0, 3)
    assert x[tg.zeros(0, dtype="bool")].shape == (0, 3)
    assert x[tg.zeros(0, 3, dtype="bool")].shape == (0,)
