"""Tensor methods and top-level functions against PyTorch: forward and gradients, float32
and float64."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg

from tinygrad_cnn.testing import check_parity

rng = np.random.default_rng(1)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
POS = np.abs(A) + 0.5
IDX = np.array([[0, 3, 1, 1], [2, 2, 0, 3], [1, 0, 0, 2]])

CASES = {
    "abs": (lambda x: x.abs(), lambda x: x.abs(), [A]),
    "sign": (lambda x: x.sign(), lambda x: x.sign(), [A]),
    "square": (lambda x: x.square(), lambda x: x.square(), [A]),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), [A]),
    "clip_min": (lambda x: x.clip(min=0.1), lambda x: x.clip(min=0.1), [A]),
    "clamp_max": (lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1), [A]),
    "std": (lambda x: x.std(1), lambda x: x.std(1), [A]),
    "std_all": (lambda x: x.std(), lambda x: x.std(), [A]),
    "var_biased": (lambda x: x.var(0, unbiased=False), lambda x: x.var(0, unbiased=False), [A]),
    "min_dim": (lambda x: x.min(1).values, lambda x: x.min(1).values, [A]),
    "max_dim_keep": (lambda x: x.max(0, keepdim=True).values,
                     lambda x: x.max(0, keepdim=True).values, [A]),
    "amin": (lambda x: x.amin(1), lambda x: x.amin(1), [A]),
    "where": (lambda x, y: tg.where(x > 0, x, y), lambda x, y: torch.where(x > 0, x, y), [A, B]),
    "where_method": (lambda x, y: x.where(x > 0, y), lambda x, y: x.where(x > 0, y), [A, A]),
    "where_scalar": (lambda x: tg.where(x > 0, x, 0.5), lambda x: torch.where(x > 0, x, 0.5),
                     [A]),
    "masked_fill": (lambda x: x.masked_fill(x < 0, 2.0), lambda x: x.masked_fill(x < 0, 2.0),
                    [A]),
    "gather": (lambda x: x.gather(1, tg.tensor(IDX)), lambda x: x.gather(1, torch.tensor(IDX)),
               [A]),
    "gather0": (lambda x: x.gather(0, tg.tensor(IDX[:2] % 3)),
                lambda x: x.gather(0, torch.tensor(IDX[:2] % 3)), [A]),
    "flip": (lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), [B]),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [A]),
    "chunk": (lambda x: x.chunk(3, 1)[1], lambda x: x.chunk(3, 1)[1], [A]),
    "split": (lambda x: x.split([1, 3], 1)[1] * 2, lambda x: x.split([1, 3], 1)[1] * 2, [A]),
    "split_size": (lambda x: x.split(2, 0)[-1], lambda x: x.split(2, 0)[-1], [A]),
    "prod": (lambda x: x.prod(1), lambda x: x.prod(1), [A]),
    "prod_all": (lambda x: x.prod(), lambda x: x.prod(), [A]),
    "prod_zero": (lambda x: (x * tg.tensor(np.eye(3, 4))).prod(0),
                  lambda x: (x * torch.tensor(np.eye(3, 4))).prod(0), [A]),
    "cumsum": (lambda x: x.cumsum(1), lambda x: x.cumsum(1), [A]),
    "cumsum0": (lambda x: x.cumsum(-3), lambda x: x.cumsum(-3), [B]),
    "logsumexp": (lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [A]),
    "logsumexp_keep": (lambda x: x.logsumexp((0, 2), keepdim=True),
                       lambda x: x.logsumexp((0, 2), keepdim=True), [B]),
    "softmax": (lambda x: x.softmax(1), lambda x: x.softmax(1), [A]),
    "log_softmax": (lambda x: x.log_softmax(0), lambda x: x.log_softmax(0), [A]),
    "sort": (lambda x: x.sort(1).values, lambda x: x.sort(1).values, [A]),
    "sort_desc": (lambda x: x.sort(0, descending=True).values,
                  lambda x: x.sort(0, descending=True).values, [A]),
    "topk": (lambda x: x.topk(2, 1).values, lambda x: x.topk(2, 1).values, [A]),
    "topk_small": (lambda x: x.topk(2, 0, largest=False).values,
                   lambda x: x.topk(2, 0, largest=False).values, [A]),
    "cat": (lambda x, y: tg.cat([x, y[0], x], 0), lambda x, y: torch.cat([x, y[0], x], 0), [A, B]),
    "cat1": (lambda x, y: tg.cat([x, y[1]], 1), lambda x, y: torch.cat([x, y[1]], 1), [A, B]),
    "stack": (lambda x, y: tg.stack([x, y[1]], 1), lambda x, y: torch.stack([x, y[1]], 1),
              [A, B]),
    "clone": (lambda x: x.clone() * 2, lambda x: x.clone() * 2, [A]),

    "mod": (lambda x, y: (x * 3) % y, lambda x, y: (x * 3) % y, [A, POS]),

    "pow_tensor": (lambda x, y: x ** y, lambda x, y: x ** y, [POS, A]),
    "minimum": (lambda x, y: x.minimum(y), lambda x, y: x.minimum(y), [A, B]),
    "erf": (lambda x: x.erf(), lambda x: x.erf(), [A]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dtype):
    ours, theirs, arrays = CASES[name]
    check_parity(ours, theirs, arrays, dtype, grad=[True] * len(arrays))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floor_division_and_reflected_modulo_match_torch_forward(dtype):
    # PyTorch has no derivative for these; ours is zero (floor_divide) or the remainder rule
    check_parity(lambda x: (x * 3) // 0.7, lambda x: (x * 3) // 0.7, [A], dtype, grad=[False])
    check_parity(lambda x: 2.5 % x, lambda x: 2.5 % x, [POS], dtype, grad=[False])
    check_parity(lambda x, y: x // y, lambda x, y: x // y, [A * 4, POS], dtype, grad=[False])


def test_index_results_match_torch():
    x, t = tg.tensor(A), torch.tensor(A)
    assert x.sort(1, descending=True).indices.tolist() == t.sort(1, descending=True).indices.tolist()
    assert x.argmin(0).tolist() == t.argmin(0).tolist()
    assert x.topk(3, 1).indices.tolist() == t.topk(3, 1).indices.tolist()
    assert x.argsort(0).tolist() == t.argsort(0).tolist()


@pytest.mark.parametrize("data", [np.array([[1, 0, 3], [0, 0, 2]]),
                                  np.array([[True, False], [True, True]])])
def test_logic_and_integer_reductions_match_torch(data):
    x, t = tg.tensor(data), torch.tensor(data)
    for fn in (lambda v: v.all(), lambda v: v.any(1), lambda v: v.all(0, keepdim=True),
               lambda v: v.sum(1), lambda v: v.prod(), lambda v: v.cumsum(1),
               lambda v: v.max(1).values, lambda v: v.amin(0)):
        ours, ref = fn(x), fn(t)
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        assert ours.tolist() == ref.tolist()


def test_casts_and_factories_match_torch():
    x, t = tg.tensor(A), torch.tensor(A)
    for name in ("long", "int", "bool", "float", "double"):
        ours, ref = getattr(x, name)(), getattr(t, name)()
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert tg.zeros_like(x).dtype == np.float64 and tg.ones_like(x, dtype="int64").tolist() == \
        torch.ones_like(t, dtype=torch.int64).tolist()
    assert tg.full_like(x, 3).tolist() == torch.full_like(t, 3).tolist()
    assert tg.eye(2, 3).tolist() == torch.eye(2, 3).tolist()
    assert tg.from_numpy(np.arange(3, dtype=np.int32)).dtype == np.int32
    np.testing.assert_allclose(tg.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())
    assert tg.arange(5).tolist() == torch.arange(5).tolist()


def test_bad_input_names_the_op_shapes_and_dtypes():
    x = tg.tensor(A)
    with pytest.raises(ValueError, match=r"gather: index of shape \(5, 4\)"):
        x.gather(1, tg.zeros(5, 4, dtype="int64"))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor, got float32"):
        x.gather(1, tg.zeros(3, 4))
    with pytest.raises(ValueError, match=r"cat: shapes \[\(3, 4\), \(2, 3\)\] differ"):
        tg.cat([x, tg.zeros(2, 3, dtype="float64")])
    with pytest.raises(ValueError, match=r"stack: expected tensors of one shape"):
        tg.stack([x, x[:2]])
    with pytest.raises(TypeError, match="where: condition must be a bool tensor, got float64"):
        tg.where(x, x, x)
    with pytest.raises(ValueError, match=r"topk: k=5 is out of range for dim -1 of size 4"):
        x.topk(5)
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill(x, 0.0)
    with pytest.raises(ValueError, match=r"repeat: need at least 2"):
        x.repeat(2)
    with pytest.raises(ValueError, match=r"split: sections \[1, 1\] do not add up to size 3"):
        x.split([1, 1])
    with pytest.raises(TypeError, match="matmul: needs float32/float64 operands, got int64"):
        tg.Tensor([[1, 2]]) @ tg.Tensor([[1], [2]])
