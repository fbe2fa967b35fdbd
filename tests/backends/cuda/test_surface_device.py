"""The tensor-surface ops stay on the device: while they run (forward and backward), no
array of more than one element is copied between host and device. Only single numbers
(an index bound, a division-by-zero check) may be read back."""
import numpy as np
import pytest
from numba import cuda

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

rng = np.random.default_rng(3)


def _guard(monkeypatch):
    """Make every copy of more than one element across the bus raise."""
    import tinygrad_cnn.backends.cuda as be
    from tinygrad_cnn.backends.cuda import array as arr

    device_type = type(cuda.device_array(1))
    to_host, to_dev = device_type.copy_to_host, device_type.copy_to_device

    def copy_to_host(self, *args, **kwargs):
        if self.size > 1:
            raise AssertionError(f"host round trip of {self.shape} {self.dtype}")
        return to_host(self, *args, **kwargs)

    def copy_to_device(self, ary, *args, **kwargs):
        if isinstance(ary, np.ndarray) and ary.size > 1:
            raise AssertionError(f"upload of a host array {ary.shape}")
        return to_dev(self, ary, *args, **kwargs)

    def from_numpy(a):
        if np.asarray(a).size > 1:
            raise AssertionError(f"upload of a host array {np.shape(a)}")
        return arr.from_numpy(a)

    monkeypatch.setattr(device_type, "copy_to_host", copy_to_host)
    monkeypatch.setattr(device_type, "copy_to_device", copy_to_device)
    monkeypatch.setattr(be, "from_numpy", from_numpy)


def _t(a, grad=False):
    return tg.tensor(a, device="cuda", requires_grad=grad)


def test_float_surface_forward_and_backward_stay_on_device(monkeypatch):
    x = _t(rng.standard_normal((3, 4)), grad=True)
    idx = _t(np.array([[0, 3], [1, 1], [2, 0]]))
    mask = _t(rng.standard_normal((3, 4)) > 0)
    _guard(monkeypatch)
    parts = [x.sort(1).values, x.sort(0, descending=True).values, x.topk(2, 1).values,
             x.max(1).values[:, None], x.min(0).values[None], x.cumsum(1), x.prod(1, keepdim=True),
             x.prod().reshape(1, 1), x.gather(1, idx).sum(1, keepdim=True), x.flip(0, 1),
             x.masked_fill(mask, 0.5), tg.where(mask, x, 2.0), x.logsumexp(1, keepdim=True),
             x.clamp(-0.5, 0.5), x.abs() + x.sign()]
    total = sum(p.sum() for p in parts)
    total.backward()
    assert x.grad.shape == (3, 4)
    assert x.argmax(1).shape == (3,) and x.argmin().shape == ()


def test_integer_bool_and_indexing_ops_stay_on_device(monkeypatch):
    a = _t(np.array([[3, 1, 2], [0, 5, 5]], np.int32))
    u = _t(np.array([200, 7, 9], np.uint8))
    m = _t(np.array([[True, False, True], [False, False, True]]))
    labels = _t(np.array([2, 0, 1]))
    y = _t(np.zeros((3, 4), np.float32))
    v = _t(np.ones(4, np.float32))
    _guard(monkeypatch)
    out = [a + a, a * 3, -a, a // 2, a % 2, a ** 2, a.abs(), a.sign(), a.clamp(1, 4),
           a.sort(1).values, a.argmax(1), a.cumsum(1), a.prod(1), a.max(), u + u, -u, u * u,
           m + m, m * m, tg.where(m, a, 0), m.all(1), m.any(0), a.all(),
           m.any(), F.one_hot(labels, 4), F.one_hot(labels), a == a.flip(1), a < 2, a >= 2.5,
           u != 7, ~m, m & m, m | m, m ^ m, (labels == labels).sum(), a & a.flip(1), a | 6,
           u ^ u[:1], ~a, ~u, a & m, 3 ^ labels, m | labels]
    y[1] = v
    y[:, 2:] = 3.0
    a[a > 4] = 0
    assert all(o.device == "cuda" for o in out)
    monkeypatch.undo()
    assert y.numpy()[1].tolist() == [1.0, 1.0, 3.0, 3.0]
    assert (u + u).tolist() == [144, 14, 18]
    assert a.tolist() == [[3, 1, 2], [0, 0, 0]]


def test_the_guard_catches_a_host_copy(monkeypatch):
    x = _t(rng.standard_normal((2, 2)))
    _guard(monkeypatch)
    with pytest.raises(AssertionError, match="host round trip"):
        x.numpy()
    with pytest.raises(AssertionError, match="upload"):
        tg.tensor(np.zeros(3), device="cuda")


def test_factories_fills_row_indexing_and_the_class_pick_backward_stay_on_device(monkeypatch):
    from tinygrad_cnn.ops.loss import PickClass
    x = _t(rng.standard_normal((3, 4)), grad=True)
    target = _t(np.array([3, 0, 3]))
    rows = _t(np.array([2, 0, 2]))
    _guard(monkeypatch)
    made = [tg.zeros(2, 3, device="cuda"), tg.ones(4, dtype="int64", device="cuda"),
            tg.full((2, 2), 1.5, device="cuda"), tg.zeros_like(x), tg.full_like(x, 7),
            tg.arange(5, device="cuda"), tg.arange(0.5, 3, 0.25, device="cuda"),
            tg.linspace(-1, 1, 7, device="cuda"), tg.eye(3, 4, device="cuda"),
            tg.eye(2, dtype="bool", device="cuda")]
    y = x.detach().clone()
    y.fill_(2.0)
    y.zero_()
    (PickClass.apply(x, target).sum() + x[rows].sum() + x[rows[:, None]].sum()).backward()
    monkeypatch.undo()
    assert [m.device for m in made] == ["cuda"] * 10 and made[2].tolist() == [[1.5, 1.5]] * 2
    assert y.tolist() == [[0.0] * 4] * 3
    assert x.grad.tolist() == [[2, 2, 2, 3], [1, 0, 0, 0], [4, 4, 4, 5]]


def test_pooling_indices_and_interpolation_stay_on_device(monkeypatch):
    x = _t(rng.standard_normal((2, 3, 7, 6)), grad=True)
    _guard(monkeypatch)
    pooled = [F.max_pool2d(x, 3, 2, 1, dilation=2, return_indices=True),
              F.max_pool2d(x, 2, ceil_mode=True, return_indices=True),
              F.max_pool2d(x, 2, return_indices=True),
              F.adaptive_max_pool2d(x, (3, 4), return_indices=True)]
    up = [F.interpolate(x, scale_factor=(1.7, 0.6)), F.interpolate(x, size=(9, 4)),
          F.interpolate(x, size=(11, 5), mode="bilinear"),
          F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True)]
    (sum(v.sum() for v, _ in pooled) + sum(u.sum() for u in up)).backward()
    monkeypatch.undo()
    assert all(i.device == "cuda" and i.dtype == np.int64 for _, i in pooled)
    assert x.grad.shape == x.shape


def test_bool_mask_reads_move_one_count_and_no_data(monkeypatch):
    x = _t(rng.standard_normal((3, 4, 2)), grad=True)
    mask = _t(rng.standard_normal((3, 4)) > 0)
    rows = _t(np.array([True, False, True]))
    ints = _t(np.array([[5, -1], [0, 7]], np.int16))
    _guard(monkeypatch)
    picked = [x[mask], x[rows], x[mask & ~mask], ints[ints > 0]]
    (picked[0].sum() + picked[1].sum()).backward()
    monkeypatch.undo()
    assert picked[0].shape == (int(mask.sum().item()), 2) and picked[2].shape == (0, 2)
    assert picked[3].tolist() == [5, 7]
    assert picked[1].tolist() == x.detach().numpy()[[0, 2]].tolist()
    assert x.grad.numpy()[:, :, 0].tolist() == (mask.long() + rows.long()[:, None]).tolist()
