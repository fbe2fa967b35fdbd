"""The kernel plumbing: declared signatures are enforced, layouts coalesce, buffers pool."""
import numpy as np
import pytest

from tinygrad_cnn.backends.cuda import _common, _scratch


def test_every_kernel_declares_float32_and_float64_or_explicit_signatures():
    import tinygrad_cnn.backends.cuda  # noqa: F401 - registers the kernels
    assert len(_common.KERNELS) >= 25
    for k in _common.KERNELS:
        assert k.signatures, k.name
        floats = [s for s in k.signatures if "float" in s]
        if k.name in INTEGER_ONLY:          # integer arithmetic: int64 only, no float at all
            assert floats == [], k.name
            continue
        assert any("float32" in s for s in floats) and any("float64" in s for s in floats), k.name


# kernels that exist for integers alone (their float counterparts are other kernels)
INTEGER_ONLY = {"tinygrad_cnn.backends.cuda.intmath._iunary",
                "tinygrad_cnn.backends.cuda.intmath._ipow",
                "tinygrad_cnn.backends.cuda.intmath._ibitwise",
                "tinygrad_cnn.backends.cuda.index._compact",
                "tinygrad_cnn.backends.cuda.index._one_hot"}


def test_launch_with_undeclared_argument_types_is_refused(be, monkeypatch):
    # A Python float where the kernel expects the array's dtype would compile a second,
    # float64-math specialization on a GPU; the launch check (on under the simulator) refuses.
    from tinygrad_cnn.backends.cuda import elementwise
    monkeypatch.setattr(_common, "CHECK_SIGNATURES", True)
    a = be.from_numpy(np.ones(4, np.float32))
    out = be.zeros((4,), np.float32)
    with pytest.raises(TypeError, match="_unary launched with"):
        elementwise._unary.launch(4, a, out, 0, 1.0)
    elementwise._unary.launch(4, a, out, 0, np.float32(1.0))
    np.testing.assert_array_equal(be.to_numpy(out), -np.ones(4))


def test_kernel_template_expansion():
    k = _common.kernel("void({t}[::1], int64)", "void(int64[::1], float32[::1])")(
        lambda a, n: None)
    try:
        assert k.signatures == ("void(float32[::1], int64)", "void(float64[::1], int64)",
                                "void(int64[::1], float32[::1])")
    finally:
        _common.KERNELS.remove(k)


@pytest.mark.parametrize("shape,strides,dims,st", [
    ((2, 3, 4), (12, 4, 1), [24], [1]),              # contiguous: one axis
    ((2, 1, 4), (4, 4, 1), [8], [1]),                # size-1 axes vanish
    ((2, 3), (1, 2), [2, 3], [1, 2]),                # transposed: nothing merges
    ((2, 3, 4), (0, 0, 1), [6, 4], [0, 1]),          # broadcast axes merge with each other
    ((1, 1), (1, 1), [1], [0]),
])
def test_coalesce(shape, strides, dims, st):
    assert _common.coalesce(shape, strides) == (dims, st)


def test_padded_rejects_too_many_dimensions():
    assert _common.padded([2, 3], 1) == (2, 3) + (1,) * (_common.MAXDIM - 2)
    with pytest.raises(ValueError, match="at most"):
        _common.padded(range(_common.MAXDIM + 1))


def test_pool_reuses_buffers_per_shape_and_dtype(be):
    _scratch.clear()
    a = _scratch.take((3, 2), np.float32)
    _scratch.give(a)
    assert _scratch.take((3, 2), np.float64) is not a
    assert _scratch.take((3, 2), np.float32) is a
    assert _scratch.take((3, 2), np.float32) is not a
