"""Reshape, permute, broadcast, pad, indexing and its backward against numpy."""
import numpy as np
import pytest

FLOATS = [np.float32, np.float64]


def _arange(shape, dtype=np.float32):
    return (np.arange(int(np.prod(shape))) - 5).astype(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_reshape_copies(be, dtype):
    a = _arange((2, 3, 4), dtype)
    d = be.from_numpy(a)
    r = be.reshape(d, (4, -1))
    assert r.shape == (4, 6)
    np.testing.assert_array_equal(be.to_numpy(r), a.reshape(4, 6))
    be.sgd_step(r, r, None, 1.0, 0.0, 0.0, 0.0, False, True) if dtype != np.int64 else None
    np.testing.assert_array_equal(be.to_numpy(d), a)
    with pytest.raises(ValueError):
        be.reshape(d, (5, -1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axes", [((2, 3), (1, 0)), ((2, 3, 4), (2, 0, 1)),
                                        ((2, 1, 3, 2), (3, 1, 0, 2)), ((4,), (0,))])
def test_permute(be, dtype, shape, axes):
    a = _arange(shape, dtype)
    np.testing.assert_array_equal(be.to_numpy(be.permute(be.from_numpy(a), axes)),
                                  np.transpose(a, axes))


@pytest.mark.parametrize("src,dst", [((3,), (2, 3)), ((2, 1), (2, 4)), ((1, 3, 1), (2, 3, 2)),
                                     ((), (2, 2))])
def test_broadcast_to(be, src, dst):
    a = _arange(src, np.float64)
    np.testing.assert_array_equal(be.to_numpy(be.broadcast_to(be.from_numpy(a), dst)),
                                  np.broadcast_to(a, dst))


@pytest.mark.parametrize("dtype", FLOATS)
def test_pad(be, dtype):
    a = _arange((2, 3, 4), dtype)
    pads = ((0, 1), (2, 0), (1, 3))
    out = be.to_numpy(be.pad(be.from_numpy(a), pads, -1.5))
    np.testing.assert_array_equal(out, np.pad(a, pads, constant_values=-1.5))


BASIC = [
    (1,), (slice(1, None),), (slice(None, None, -1), 2), (Ellipsis, 1), (None, 0, slice(0, 3, 2)),
    (slice(None), None, slice(-2, None)), (-1, -1, -1), (slice(3, 1, -1), slice(None), 0),
    (slice(5, 9),),
]


@pytest.mark.parametrize("index", BASIC, ids=str)
def test_getitem_basic_and_backward(be, index):
    a = _arange((3, 4, 5), np.float64)
    out = be.getitem(be.from_numpy(a), index)
    expect = a[index]
    np.testing.assert_array_equal(be.to_numpy(out), expect)
    g = np.random.default_rng(0).standard_normal(expect.shape)
    back = be.to_numpy(be.getitem_backward(be.from_numpy(g), a.shape, index))
    want = np.zeros_like(a)
    want[index] = g
    np.testing.assert_array_equal(back, want)


@pytest.mark.parametrize("index", [(np.array([0, 2, 0]),), (slice(None), [3, 3, 1]),
                                   (np.array([True, False, True]),)], ids=str)
def test_getitem_fancy_falls_back_and_accumulates(be, index):
    a = _arange((3, 4), np.float32)
    np.testing.assert_array_equal(be.to_numpy(be.getitem(be.from_numpy(a), index)), a[index])
    g = np.ones(a[index].shape, np.float32)
    want = np.zeros_like(a)
    np.add.at(want, index, g)
    np.testing.assert_array_equal(
        be.to_numpy(be.getitem_backward(be.from_numpy(g), a.shape, index)), want)


def test_getitem_device_index_array(be):
    a = _arange((4, 2), np.float32)
    idx = be.from_numpy(np.array([3, 1]))
    np.testing.assert_array_equal(be.to_numpy(be.getitem(be.from_numpy(a), idx)), a[[3, 1]])


def test_getitem_result_is_a_copy(be):
    d = be.from_numpy(_arange((2, 3), np.float32))
    row = be.getitem(d, (0,))
    be.sgd_step(d, d, None, 1.0, 0.0, 0.0, 0.0, False, True)  # zeroes d in place
    np.testing.assert_array_equal(be.to_numpy(row), [-5, -4, -3])


@pytest.mark.parametrize("dtype", FLOATS)
def test_take_along_class(be, dtype):
    a = _arange((4, 3), dtype)
    target = np.array([2, 0, 1, 2])
    out = be.take_along_class(be.from_numpy(a), be.from_numpy(target))
    np.testing.assert_array_equal(be.to_numpy(out), a[np.arange(4), target])
