"""Gradient properties of reshape, permute, pad, expand and indexing."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import arrays, gradcheck


@given(x=arrays((2, 3, 4)), perm=st.permutations([0, 1, 2]))
def test_permute_and_reshape(x, perm):
    gradcheck(lambda t: t.permute(perm).reshape(-1, 2) * 1.5, [x])


@given(x=arrays((1, 2, 3, 3)), pads=st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_pad(x, pads):
    out = F.pad(tg.Tensor(x, dtype=np.float64), pads, value=0.0)
    np.testing.assert_array_equal(
        out.numpy(), np.pad(x, ((0, 0), (0, 0), (pads[2], pads[3]), (pads[0], pads[1]))))
    gradcheck(lambda t: F.pad(t, pads), [x])


@pytest.mark.parametrize("index", [
    (slice(None), 1),
    (slice(0, 2), slice(None, None, 2)),
    (1,),
    (np.array([0, 2, 2]),),                 # repeated rows accumulate
    (slice(None), None, slice(1, 3)),
    (Ellipsis, -1),
])
def test_getitem(index):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(tg.Tensor(x, dtype=np.float64)[index].numpy(), x[index])
    gradcheck(lambda t: t[index], [x])


def test_expand_and_flatten():
    x = np.random.default_rng(1).standard_normal((3, 1))
    gradcheck(lambda t: t.expand(2, 3, 4), [x])
    gradcheck(lambda t: t.unsqueeze(0).flatten(), [x])
    with pytest.raises(ValueError, match="cannot broadcast"):
        tg.zeros(3, 2).expand(3, 4)
