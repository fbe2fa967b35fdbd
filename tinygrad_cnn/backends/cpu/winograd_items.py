"""The work items of the Winograd drivers (:mod:`.winograd`, :mod:`.winograd_samples`) as
Numba parallel loops, with the GEMMs called from Numba (:mod:`._blas` says why).

Every kernel runs the same items as the Python-thread path, in the same order within an item,
with the same GEMMs: each loop's ``prange`` has one iteration per thread, and each thread
takes the next item from ``counter[phase]`` until none is left. ``tile`` (2 or 4) picks the
transform kernels of F(2x2, 3x3) or F(4x4, 3x3); buffers are laid out as in
:func:`.winograd._t_major`. The drivers check :func:`._blas.available` first and call them
through :func:`._blas.run_items`.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import winograd_f2 as f2
from . import winograd_f4 as f4
from ._blas import gemm, next_item


@njit(nogil=True, cache=True)
def _weight(tile, w, u, o0, o1, c0, c1, flip, base):
    if tile == 2:
        f2._weight_transform(w, u, o0, o1, c0, c1, flip, base)
    else:
        f4._weight_transform(w, u, o0, o1, c0, c1, flip, base)


@njit(nogil=True, cache=True)
def _input(tile, x, v, scratch, q0, q1, n0, ty0, ty1, tw, ph, pw, tiles):
    if tile == 2:
        f2._input_transform(x, v, scratch, q0, q1, n0, ty0, ty1, tw, ph, pw, tiles)
    else:
        f4._input_transform(x, v, scratch, q0, q1, n0, ty0, ty1, tw, ph, pw, tiles)


@njit(nogil=True, cache=True)
def _output(tile, m, out, bias, relu, scratch, q0, q1, n0, ty0, ty1, tw, tiles, o0, ob):
    if tile == 2:
        f2._output_transform(m, out, bias, relu, scratch, q0, q1, n0, ty0, ty1, tw, tiles,
                             o0, ob)
    else:
        f4._output_transform(m, out, bias, relu, scratch, q0, q1, n0, ty0, ty1, tw, tiles,
                             o0, ob)


@njit(nogil=True, cache=True)
def _grad_output(tile, go, g, scratch, q0, q1, n0, ty0, ty1, tw, tiles):
    if tile == 2:
        f2._grad_output_transform(go, g, scratch, q0, q1, n0, ty0, ty1, tw, tiles)
    else:
        f4._grad_output_transform(go, g, scratch, q0, q1, n0, ty0, ty1, tw, tiles)


@njit(nogil=True, cache=True)
def _weight_grad(tile, m, dw, o0, o1, m0):
    if tile == 2:
        f2._weight_grad_transform(m, dw, o0, o1, m0)
    else:
        f4._weight_grad_transform(m, dw, o0, o1, m0)


@njit(parallel=True, cache=True)
def weight_planes(tile, w, u, parts, flip, counter, threads):
    """All of ``w``'s filters transformed into ``u``, items owning the filters ``parts[i]``."""
    c = w.shape[1]
    for _ in prange(threads):
        i = next_item(counter, 0)
        while i < parts.shape[0]:
            _weight(tile, w, u, parts[i, 0], parts[i, 1], 0, c, flip, parts[i, 0] * c)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def input_planes(tile, x, v, planes, n0, ty0, ty1, tw, ph, pw, tiles, band, counter,
                 threads):
    """The input transform of a chunk into ``v``, items owning the planes ``planes[i]``;
    ``band``: (rows, columns) of each thread's scratch."""
    for _ in prange(threads):
        scratch = np.empty((band[0], band[1]), x.dtype)
        i = next_item(counter, 0)
        while i < planes.shape[0]:
            _input(tile, x, v, scratch, planes[i, 0], planes[i, 1], n0, ty0, ty1, tw, ph, pw,
                   tiles)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def grad_output_planes(tile, go, g, planes, n0, ty0, ty1, tw, tiles, band, counter, threads):
    """The output-gradient transform of a chunk into ``g``, items owning ``planes[i]``."""
    for _ in prange(threads):
        scratch = np.empty((band[0], band[1]), go.dtype)
        i = next_item(counter, 0)
        while i < planes.shape[0]:
            _grad_output(tile, go, g, scratch, planes[i, 0], planes[i, 1], n0, ty0, ty1, tw,
                         tiles)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def output_planes(tile, m, out, bias, relu, planes, n0, ty0, ty1, tw, tiles, band, counter,
                  threads):
    """The output transform of a chunk's products ``m`` into ``out``, items owning
    ``planes[i]`` of all filters."""
    o = out.shape[1]
    for _ in prange(threads):
        scratch = np.empty((band[0], band[1]), out.dtype)
        i = next_item(counter, 0)
        while i < planes.shape[0]:
            _output(tile, m, out, bias, relu, scratch, planes[i, 0], planes[i, 1], n0, ty0,
                    ty1, tw, tiles, 0, o)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def weight_grad_planes(tile, m, dw, blocks, counter, threads):
    """``dw`` from the sums ``m`` of all filters, items owning the filters ``blocks[i]``."""
    for _ in prange(threads):
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            _weight_grad(tile, m, dw, blocks[i, 0], blocks[i, 1], 0)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def gemms_by_t(a, order, b, out, beta, ts, counter, threads):
    """``out[t] = a[order[t]] @ b[t] + beta * out[t]``, items owning the ``t`` of ``ts[i]``."""
    for _ in prange(threads):
        i = next_item(counter, 0)
        while i < ts.shape[0]:
            for t in range(ts[i, 0], ts[i, 1]):
                gemm(a[order[t]], b[t], out[t], beta)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def filter_blocks(tile, w, flip, v, out, bias, relu, blocks, widest, n0, n1, ty0, ty1, tw,
                  band, counter, threads):
    """By blocks of filters (:func:`.winograd._run`): each item transforms its filters, runs
    their GEMMs with the chunk's transformed input ``v`` (alpha^2, C, tiles) and transforms
    the products into ``out``; ``flip``: ``w``'s rotated, transposed filters (input grad)."""
    nt, c, tiles = v.shape
    dt = out.dtype
    for _ in prange(threads):
        ubuf = np.empty((nt, widest * c + 16), dt)
        mbuf = np.empty((nt, widest * tiles + 16), dt)
        scratch = np.empty((band[0], band[1]), dt)
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            o0, o1 = blocks[i, 0], blocks[i, 1]
            width = o1 - o0
            if flip:  # (C, width) per t: w's filters 0..C, channels o0..o1
                _weight(tile, w, ubuf, 0, c, o0, o1, True, 0)
                for t in range(nt):
                    gemm(ubuf[t, :c * width].reshape((c, width)).T, v[t],
                         mbuf[t, :width * tiles].reshape((width, tiles)), 0.0)
            else:
                _weight(tile, w, ubuf, o0, o1, 0, c, False, 0)
                for t in range(nt):
                    gemm(ubuf[t, :width * c].reshape((width, c)), v[t],
                         mbuf[t, :width * tiles].reshape((width, tiles)), 0.0)
            _output(tile, mbuf, out, bias, relu, scratch, 0, (n1 - n0) * width, n0, ty0, ty1,
                    tw, tiles, o0, width)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def sample_groups(tile, x, u, out, bias, relu, ph, pw, items, chunks, kept, widest, band,
                  counter, threads):
    """By samples (:mod:`.winograd_samples`): each item takes a group of samples through the
    input transform, the GEMMs with ``u`` (alpha^2, O, C) and the output transform.
    ``items[i]``: (chunk, n0, n1); ``kept`` (chunks, alpha^2, C*samples*tiles + 16): where
    the transformed input goes for the weight gradient, or an empty array (a thread buffer
    then); ``chunks[j]``: the first and last-plus-one sample of chunk ``j``."""
    nt, o, c = u.shape
    th = -(-out.shape[2] // tile)
    tw = -(-out.shape[3] // tile)
    per = th * tw
    dt = out.dtype
    keep = kept.shape[0] > 0
    for _ in prange(threads):
        own = np.empty((nt, 0 if keep else c * widest + 16), dt)
        mbuf = np.empty((nt, o * widest + 16), dt)
        scratch = np.empty((band[0], band[1]), dt)
        i = next_item(counter, 0)
        while i < items.shape[0]:
            j, n0, n1 = items[i, 0], items[i, 1], items[i, 2]
            tiles = (n1 - n0) * per
            if keep:  # this group's columns of its chunk's buffer
                c0 = chunks[j, 0]
                span = (chunks[j, 1] - c0) * per
                _input(tile, x, kept[j], scratch, (n0 - c0) * c, (n1 - c0) * c, c0, 0, th, tw,
                       ph, pw, span)
                for t in range(nt):
                    vt = kept[j, t, :c * span].reshape((c, span))
                    gemm(u[t], vt[:, (n0 - c0) * per:(n1 - c0) * per],
                         mbuf[t, :o * tiles].reshape((o, tiles)), 0.0)
            else:
                _input(tile, x, own, scratch, 0, (n1 - n0) * c, n0, 0, th, tw, ph, pw, tiles)
                for t in range(nt):
                    gemm(u[t], own[t, :c * tiles].reshape((c, tiles)),
                         mbuf[t, :o * tiles].reshape((o, tiles)), 0.0)
            _output(tile, mbuf, out, bias, relu, scratch, 0, (n1 - n0) * o, n0, 0, th, tw,
                    tiles, 0, o)
            i = next_item(counter, 0)


@njit(parallel=True, cache=True)
def weight_grad_blocks(tile, g, v, sums, dw, blocks, widest, first, last, counter, threads):
    """By blocks of filters (:func:`.winograd.backward_weight`): each item adds its filters'
    ``g[t, o0:o1] @ v[t]^T`` onto its sums (``sums[i]``, or a thread buffer when ``sums`` is
    empty: one chunk), starting from zero at the ``first`` chunk, and at the ``last`` chunk
    transforms them into ``dw``."""
    nt, c = v.shape[0], v.shape[1]
    beta = 0.0 if first else 1.0
    for _ in prange(threads):
        own = np.empty((nt, 0 if sums.shape[0] > 0 else widest * c + 16), dw.dtype)
        i = next_item(counter, 0)
        while i < blocks.shape[0]:
            o0, o1 = blocks[i, 0], blocks[i, 1]
            buf = sums[i] if sums.shape[0] > 0 else own
            for t in range(nt):
                gemm(g[t, o0:o1], v[t].T, buf[t, :(o1 - o0) * c].reshape((o1 - o0, c)), beta)
            if last:
                _weight_grad(tile, buf, dw, o0, o1, o0)
            i = next_item(counter, 0)
