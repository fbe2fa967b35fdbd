"""Array creation, transfer, casting and the finiteness check on the CUDA backend."""
import numpy as np
import pytest

FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_round_trip_and_copy_are_independent(be, dtype):
    a = (np.arange(15) - 7).reshape(3, 5).astype(dtype)
    d = be.from_numpy(a)
    c = be.copy(d)
    assert be.to_numpy(c).dtype == dtype
    np.testing.assert_array_equal(be.to_numpy(c), a)
    be.sgd_step(d, d, None, 1.0, 0.0, 0.0, 0.0, False, True) if dtype != np.int64 else None
    np.testing.assert_array_equal(be.to_numpy(c), a)


def test_from_numpy_makes_contiguous(be):
    a = np.arange(12.0).reshape(3, 4).T
    np.testing.assert_array_equal(be.to_numpy(be.from_numpy(a)), a)


@pytest.mark.parametrize("dtype", FLOATS)
def test_zeros_and_full(be, dtype):
    z = be.to_numpy(be.zeros((2, 3, 1), dtype))
    assert z.dtype == dtype and z.shape == (2, 3, 1) and not z.any()
    f = be.to_numpy(be.full((4,), -2.5, dtype))
    np.testing.assert_array_equal(f, np.full(4, -2.5, dtype))
    assert be.to_numpy(be.full((), 3.0, dtype)).shape == ()


@pytest.mark.parametrize("src,dst", [(np.float32, np.float64), (np.float64, np.float32),
                                     (np.int64, np.float32), (np.float64, np.int64)])
def test_astype(be, src, dst):
    a = np.array([[-3, 0, 7], [1, 2, 250]]).astype(src)
    out = be.to_numpy(be.astype(be.from_numpy(a), dst))
    assert out.dtype == dst
    np.testing.assert_array_equal(out, a.astype(dst))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf])
def test_all_finite(be, dtype, bad):
    a = np.linspace(-1, 1, 77).astype(dtype)  # more than one block of the simulator
    if bad is not None:
        a[70] = bad
    result = be.all_finite(be.from_numpy(a))
    assert isinstance(result, bool)
    assert result is (bad is None)
    assert be.all_finite(be.zeros((0,), dtype)) is True
