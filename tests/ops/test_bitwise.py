"""Bitwise ``& | ^ ~`` on integer and bool tensors against PyTorch: values, dtypes (PyTorch's
promotion, Python scalars included) and broadcasting; floats are refused."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg

OPS = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}
VALUES = {"uint8": [0, 1, 7, 200, 255], "int8": [-128, -3, 0, 5, 127],
          "int16": [-30000, -7, 0, 9, 32767], "int32": [-2**31, -5, 0, 11, 2**31 - 1],
          "int64": [-2**63, -2, 0, 2**53 + 1, 2**62], "bool": [True, False, True, False, True]}


def _both(values, dtype):
    a = np.array(values, dtype)
    return tg.tensor(a), torch.from_numpy(a)


def _same(got, want):
    assert got.dtype == np.dtype(str(want.dtype).replace("torch.", ""))
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("left", sorted(VALUES))
@pytest.mark.parametrize("right", ["int8", "int64", "bool"])
def test_binary_matches_torch_with_promotion_and_broadcasting(op, left, right):
    x, tx = _both(VALUES[left], left)
    y, ty = _both(VALUES[right][::-1], right)
    _same(OPS[op](x, y), OPS[op](tx, ty))
    _same(OPS[op](x.reshape(5, 1), y), OPS[op](tx.reshape(5, 1), ty))


@pytest.mark.parametrize("dtype", sorted(VALUES))
def test_invert_and_scalars_match_torch(dtype):
    x, tx = _both(VALUES[dtype], dtype)
    _same(~x, ~tx)
    for scalar in (True, 6, -1):
        for op in OPS.values():
            _same(op(x, scalar), op(tx, scalar))
            _same(op(scalar, x), op(scalar, tx))


def test_zero_dim_and_empty():
    x, tx = _both([], "int32")
    _same(x & 3, tx & 3)
    _same(~x, ~tx)
    s, ts = _both(5, "int64")
    _same(s ^ tg.tensor(np.array([1, 2], np.int16)), ts ^ torch.tensor([1, 2], dtype=torch.int16))


@pytest.mark.parametrize("fn", [lambda x: x & 1, lambda x: 1 | x, lambda x: x ^ x, lambda x: ~x,
                                lambda x: tg.tensor([1, 2]) & x])
def test_floats_are_refused(fn):
    with pytest.raises(TypeError, match="bool or integer tensor.*float32"):
        fn(tg.tensor([1.0, 2.0]))
