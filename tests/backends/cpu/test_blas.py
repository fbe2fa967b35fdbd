"""GEMMs called from Numba, work items in Numba parallel loops, and the two engines of the
convolution drivers (Numba items in float32 where OpenBLAS's ILP64 ``cblas_sgemm`` is found,
Python threads otherwise) giving the same results."""
import glob
import os

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit, prange

from tinygrad_cnn.backends.cpu import _blas, direct, winograd
from tinygrad_cnn.warmup import winograd_structures

F32 = np.dtype(np.float32)
needs_blas = pytest.mark.skipif(not _blas.available(F32),
                                reason="no ILP64 cblas_sgemm in numpy's OpenBLAS here")


@njit(parallel=True)
def _owners(n_items, counter, threads):
    owner = np.full(n_items, -1, np.int64)
    taken = np.zeros(n_items, np.int64)
    for t in prange(threads):
        i = _blas.next_item(counter, 1)
        while i < n_items:
            owner[i] = t
            taken[i] += 1
            i = _blas.next_item(counter, 1)
    return owner, taken


def test_next_item_hands_out_every_item_once():
    counter = _blas.counters(2)
    owner, taken = _owners(1000, counter, numba.get_num_threads())
    assert (taken == 1).all() and (owner >= 0).all()
    assert counter[0] == 0 and counter[1] == 1000 + numba.get_num_threads()


def test_numpys_own_openblas_is_found_where_numpy_ships_one(monkeypatch):
    """Not a skip where it should run: numpy's wheels bundle an ILP64 OpenBLAS
    (``numpy.libs/*openblas64*`` on Linux); its ``cblas_sgemm`` must be found there."""
    root = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    if not glob.glob(os.path.join(root, "*openblas64*")):
        pytest.skip("this numpy bundles no ILP64 OpenBLAS")
    monkeypatch.setattr(_blas, "_found", None)
    monkeypatch.delenv("TGCNN_CPU_ITEMS", raising=False)
    assert _blas.available(F32)


def test_available_only_for_float32_and_not_when_switched_off(monkeypatch):
    assert not _blas.available(np.dtype(np.float64))
    monkeypatch.setattr(_blas, "_found", None)
    monkeypatch.setenv("TGCNN_CPU_ITEMS", "threads")
    assert not _blas.available(F32)


@needs_blas
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9), st.booleans(), st.booleans(),
       st.sampled_from([0.0, 1.0]))
def test_gemm_matches_numpy_for_any_layout(m, k, n, ta, tb, beta):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n + 3, k) if tb else (k, n + 3)).astype(np.float32)
    a_view = a.T if ta else a
    b_view = (b.T if tb else b)[:, 1:n + 1]  # a strided column window
    c = rng.standard_normal((m, n + 2)).astype(np.float32)
    expected = a_view.astype(np.float64) @ b_view + beta * c[:, :n]
    with _blas.items_lock():
        _blas.gemm(a_view, b_view, c[:, :n], beta)
    np.testing.assert_allclose(c[:, :n], expected, rtol=1e-5, atol=1e-5)


def _engines(monkeypatch, run):
    """``run()`` with the Numba items, then on Python threads."""
    numba_result = run()
    monkeypatch.setattr(_blas, "_found", False)
    threads_result = run()
    monkeypatch.undo()
    return numba_result, threads_result


def _close(got, expected):
    """Within float32 rounding of the algorithm (F(4x4, 3x3): 1e-6-1e-5 of the largest value;
    the engines call BLAS with different operand layouts); a wrong index is off by O(1)."""
    for a, e in zip(got, expected):
        scale = max(float(np.abs(e).max()), 1e-30)
        assert a.shape == e.shape and a.dtype == e.dtype
        assert float(np.abs(a - e).max()) / scale < 2e-5


@needs_blas
@pytest.mark.parametrize("tile", winograd.TILES)
@pytest.mark.parametrize("with_plan", [False, True])
def test_winograd_engines_agree_in_every_structure(monkeypatch, tile, with_plan):
    rng = np.random.default_rng(tile)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    for x in winograd_structures(np.float32, tile):
        x = rng.standard_normal(x.shape).astype(np.float32)

        def run():
            plan = {} if with_plan else None
            y = winograd.forward(x, w, b, 1, 1, relu=True, tile=tile, plan=plan)
            return (y, winograd.backward_input(y, w, x.shape, 1, 1, tile=tile, plan=plan),
                    winograd.backward_weight(y, x, 1, 1, tile=tile, plan=plan))

        _close(*_engines(monkeypatch, run))


@needs_blas
@pytest.mark.parametrize("with_plan", [False, True])
def test_direct_engines_agree(monkeypatch, with_plan):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 7, 2, 3)).astype(np.float32)
    w = rng.standard_normal((6, 7, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    one = (1, 1)

    def run():
        plan = {} if with_plan else None
        y = direct.forward(x, w, b, one, one, one, relu=True, plan=plan)
        return (y, direct.backward_input(y, w, x.shape, one, one, one, plan=plan),
                direct.backward_weight(y, x, w.shape, one, one, one, plan=plan))

    _close(*_engines(monkeypatch, run))


@needs_blas
def test_numba_items_give_the_same_bits_for_any_thread_count():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    inputs = [(tile, rng.standard_normal(x.shape).astype(np.float32))
              for tile in winograd.TILES for x in winograd_structures(np.float32, tile)]
    results, old = [], numba.get_num_threads()
    try:
        for threads in (1, old):
            numba.set_num_threads(threads)
            out = []
            for tile, x in inputs:
                plan: dict = {}
                y = winograd.forward(x, w, None, 1, 1, tile=tile, plan=plan)
                out += [y, winograd.backward_input(y, w, x.shape, 1, 1, tile=tile, plan=plan),
                        winograd.backward_weight(y, x, 1, 1, tile=tile, plan=plan)]
            results.append(out)
    finally:
        numba.set_num_threads(old)
    for a, b in zip(*results):
        assert np.array_equal(a, b)
