"""The new tensor surface on the CUDA backend (simulator in CI: tiny sizes), against the CPU:
type promotion, in-place updates, empty tensors and the composed ops with their gradients."""
import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import no_grad
from tinygrad_cnn.backends import get_backend

pytestmark = pytest.mark.cuda
rng = np.random.default_rng(5)
X = rng.standard_normal((2, 2, 3, 3))
W = rng.standard_normal((2, 2, 2, 2))
A = rng.standard_normal((2, 3))


CASES = {
    "abs_sign_square": (lambda x: x.abs() + x.sign() + x.square(), [A]),
    "clamp": (lambda x: x.clamp(-0.3, 0.4), [A]),
    "where": (lambda x, y: tg.where(x > 0, x, y), [A, A[:1] * 2]),
    "masked_fill": (lambda x: x.masked_fill(x < 0, 1.5), [A]),
    "gather": (lambda x: x.gather(1, tg.tensor(np.array([[2, 0], [1, 1]]), device=x.device)),
               [A]),
    "sort_topk": (lambda x: x.sort(1).values + x.topk(3, 1).values, [A]),
    "max_min_dim": (lambda x: x.max(1).values - x.min(0).values.sum(), [A]),
    "cat_stack_flip_repeat": (lambda x: tg.cat([x, x.flip(0)], 1).repeat(2, 1)
                              + tg.stack([x, x], 0).sum(0).repeat(2, 2), [A]),
    "cumsum_prod_logsumexp": (lambda x: x.cumsum(1) * x.prod(1, keepdim=True)
                              + x.logsumexp(1, keepdim=True), [A]),
    "pow_at_zero": (lambda x, y: (x * 0) ** y + x ** 0, [A, np.abs(A)]),
    "mod_floordiv": (lambda x, y: x % y + (x // y) * 0, [A * 3, np.abs(A) + 0.5]),
    "erf_gelu_silu_elu": (lambda x: F.gelu(x) + F.silu(x) + F.elu(x) + F.softplus(x)
                          + F.mish(x) + F.hardswish(x) + F.relu6(x * 5), [X]),
    "layer_group_norm": (lambda x: F.layer_norm(x, (3, 3)) + F.group_norm(x, 2), [X]),
    "interpolate": (lambda x: F.interpolate(x, size=(4, 5), mode="bilinear").sum()
                    + F.interpolate(x, scale_factor=2).sum(), [X]),
    "pools": (lambda x: F.max_pool2d(x, 2, 1, dilation=1, ceil_mode=True).sum()
              + F.adaptive_max_pool2d(x, (2, 2)).sum(), [X]),
    "conv_transpose_same": (lambda x, w: F.conv_transpose2d(x, w, stride=2).sum()
                            + F.conv2d(x, w, padding="same").sum(), [X, W]),
    "losses": (lambda x, y: F.l1_loss(x, y) + F.smooth_l1_loss(x, y)
               + F.binary_cross_entropy_with_logits(x, (y > 0).float()), [A, A[::-1] * 1]),
    "cross_entropy_weight": (lambda x: F.cross_entropy(
        x, tg.tensor(np.array([0, 2]), device=x.device),
        weight=tg.tensor(np.array([1.0, 2.0, 0.5]), device=x.device), ignore_index=1), [A]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name, dtype):
    fn, arrays = CASES[name]
    results = {}
    for device in ("cpu", "cuda"):
        xs = [tg.tensor(np.asarray(a, dtype), requires_grad=True, device=device)
              for a in arrays]
        out = fn(*xs)
        out.backward(tg.tensor(np.ones(out.shape, dtype), device=device))
        results[device] = [out.numpy()] + [x.grad.numpy() for x in xs]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(results["cuda"], results["cpu"]):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_promotion_and_exact_int64_on_cuda():
    mask = tg.Tensor([1, 2, 3], device="cuda") > 1
    assert mask.sum().item() == 2 and (mask + 5).tolist() == [5, 6, 6]
    big = 2 ** 53 + 1
    assert (tg.Tensor([big], device="cuda") + tg.Tensor([1], device="cuda")).tolist() == [big + 1]
    assert (tg.Tensor([7, -7], device="cuda") // 2).tolist() == [3, -4]
    assert (tg.Tensor([7, -7], device="cuda") % 3).tolist() == [1, 2]
    assert (tg.Tensor([1, 2], device="cuda") / 2).dtype == np.float32


def test_in_place_updates_and_data_on_cuda():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, device="cuda")
    (w * w).sum().backward()
    with no_grad():
        w -= 0.1 * w.grad
    w.data += tg.Tensor([1.0, 1.0], device="cuda")
    np.testing.assert_allclose(w.numpy(), [1.8, 2.6], rtol=1e-6)
    assert w.is_leaf and w.device == "cuda"
    x = tg.zeros(2, 3, device="cuda")
    x[1] = tg.Tensor([1.0, 2.0, 3.0], device="cuda")
    x.clamp_(max=2.0).mul_(2)
    assert x.tolist() == [[0, 0, 0], [2, 4, 4]]


def test_empty_tensors_on_cuda():
    out = F.conv2d(tg.zeros(0, 2, 4, 4, device="cuda"), tg.zeros(3, 2, 3, 3, device="cuda"))
    assert out.shape == (0, 3, 2, 2) and out.device == "cuda"
    assert F.max_pool2d(tg.zeros(0, 2, 4, 4, device="cuda"), 2).shape == (0, 2, 2, 2)
    assert np.isnan(tg.zeros(0, device="cuda").mean().item())


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from tinygrad_cnn.testing import arrays, gradcheck  # noqa: E402

_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=0,
                                           max_side=2).map(lambda b: b.input_shapes)


@settings(max_examples=6)
@given(shapes=_pairs, data=st.data())
def test_gradients_on_cuda_with_drawn_shapes(shapes, data):
    sa, sb = shapes
    a = data.draw(arrays(sa))
    b = data.draw(arrays(sb))
    a = np.where((np.abs(a) < 0.05) | (np.abs(np.abs(a) - 1.5) < 0.05), 0.1, a)  # off kinks
    cond = data.draw(hnp.arrays(np.bool_, sa))
    gradcheck(lambda x, y: tg.where(tg.tensor(cond, device="cuda"), x, y), [a, b],
              device="cuda")
    gradcheck(lambda x: x.abs().clamp(max=1.5) + F.gelu(x), [a], device="cuda")
    gradcheck(lambda x, y: x ** y, [np.abs(a) + 0.5, b], device="cuda")


def test_assigning_a_host_array_to_data_uploads_it(monkeypatch):
    be = get_backend("cuda")
    uploaded = []
    real = be.from_numpy
    monkeypatch.setattr(be, "from_numpy", lambda a: uploaded.append(a.shape) or real(a))
    t = tg.Tensor(np.zeros(3, np.float32), device="cuda")
    uploaded.clear()
    t.data = np.arange(3, dtype=np.float32)
    assert uploaded == [(3,)] and t.device == "cuda"
    assert (t + 1).numpy().tolist() == [1.0, 2.0, 3.0]
