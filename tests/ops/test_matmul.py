"""Matrix product values and gradients, including batched and broadcast batch dimensions."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import arrays, gradcheck


@given(m=st.integers(1, 5), k=st.integers(1, 5), n=st.integers(1, 5),
       batch=st.sampled_from([(), (2,), (2, 1)]), data=st.data())
def test_matmul(m, k, n, batch, data):
    a = data.draw(arrays(batch + (m, k)))
    b = data.draw(arrays((k, n) if batch == (2, 1) else batch + (k, n)))
    np.testing.assert_allclose((tg.Tensor(a, dtype=np.float64) @ tg.Tensor(b, dtype=np.float64)).numpy(),
                               a @ b, atol=1e-12)
    gradcheck(lambda x, y: x @ y, [a, b])


def test_vector_operands():
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    gradcheck(lambda x, y: x @ y, [a, v])
    gradcheck(lambda x, y: y @ x, [a.T.copy(), v])


@given(n=st.integers(1, 4), fin=st.integers(1, 5), fout=st.integers(1, 5), bias=st.booleans(),
       lead=st.sampled_from([(), (2,)]), data=st.data())
def test_linear(n, fin, fout, bias, lead, data):
    import tinygrad_cnn.nn.functional as F
    x = data.draw(arrays(lead + (n, fin)))
    w = data.draw(arrays((fout, fin)))
    inputs = [x, w] + ([data.draw(arrays((fout,)))] if bias else [])
    expected = x @ w.T + (inputs[2] if bias else 0)
    got = F.linear(*[tg.Tensor(a, dtype=np.float64) for a in inputs])
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)
    gradcheck(F.linear, inputs)
