"""Numba kernels of the squeeze (per-plane mean) and the excite (per-plane scale), with the
numpy wrappers that are their only callers.

An (N, C, H, W) array is viewed as N*C planes of H*W values. Every kernel runs ``prange``
over planes and each plane writes only its own outputs, so there are no races. The
wrappers normalise what reaches the kernels: C-contiguous float32 or float64 (anything else
becomes float32), scales cast to the data's dtype, so each kernel has at most two
specializations. Literals take the data's dtype (``x.dtype.type(0)``), so float32 kernels
stay float32.

Example:
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    >>> plane_mean(x)
    array([[1.5, 5.5]], dtype=float32)
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _plane_mean_kernel(x, out):
    planes, size = x.shape
    inv = x.dtype.type(1) / x.dtype.type(size)
    for p in prange(planes):
        acc = x.dtype.type(0)
        for i in range(size):
            acc += x[p, i]
        out[p] = acc * inv


@njit(cache=True, parallel=True)
def _plane_fill_kernel(g, out):
    planes, size = out.shape
    inv = out.dtype.type(1) / out.dtype.type(size)
    for p in prange(planes):
        value = g[p] * inv
        for i in range(size):
            out[p, i] = value


@njit(cache=True, parallel=True)
def _plane_scale_kernel(x, s, out):
    planes, size = x.shape
    for p in prange(planes):
        sp = s[p]
        for i in range(size):
            out[p, i] = x[p, i] * sp


@njit(cache=True, parallel=True)
def _plane_dot_kernel(a, b, out):
    planes, size = a.shape
    for p in prange(planes):
        acc = a.dtype.type(0)
        for i in range(size):
            acc += a[p, i] * b[p, i]
        out[p] = acc


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """float64 when the first array is float64, else float32 (the kernels' two dtypes)."""
    return np.dtype(np.float64) if np.asarray(arrays[0]).dtype == np.float64 \
        else np.dtype(np.float32)


def _planes(x: np.ndarray, dtype: np.dtype, op: str) -> np.ndarray:
    """``x`` (N, C, H, W) as a C-contiguous (N*C, H*W) array of ``dtype``."""
    x = np.ascontiguousarray(x, dtype=dtype)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D (N, C, H, W) array, got shape {x.shape}")
    if x.shape[2] * x.shape[3] == 0:
        raise ValueError(f"{op}: the planes of shape {x.shape} are empty")
    n, c, h, w = x.shape
    return x.reshape(n * c, h * w)


def _per_plane(s: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, op: str) -> np.ndarray:
    """``s`` (N, C) as a C-contiguous (N*C,) array of ``dtype``, checked against ``shape``."""
    s = np.ascontiguousarray(s, dtype=dtype)
    if s.shape != tuple(shape[:2]):
        raise ValueError(f"{op}: expected one value per (sample, channel), shape "
                         f"{tuple(shape[:2])}, got {s.shape}")
    return s.reshape(-1)


def plane_mean(x: np.ndarray) -> np.ndarray:
    """Mean of every (H, W) plane: (N, C, H, W) -> (N, C) (global average pooling)."""
    dtype = float_dtype(x)
    planes = _planes(x, dtype, "plane_mean")
    out = np.empty(planes.shape[0], dtype)
    _plane_mean_kernel(planes, out)
    return out.reshape(np.shape(x)[:2])


def plane_mean_backward(grad: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    """Gradient of :func:`plane_mean`: ``grad[n, c] / (H * W)`` spread over each plane."""
    dtype = float_dtype(grad)
    n, c, h, w = shape
    if h * w == 0:
        raise ValueError(f"plane_mean_backward: the planes of shape {tuple(shape)} are empty")
    g = _per_plane(grad, shape, dtype, "plane_mean_backward")
    out = np.empty((n * c, h * w), dtype)
    _plane_fill_kernel(g, out)
    return out.reshape(shape)


def plane_scale(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``x[n, c, h, w] * s[n, c]``: (N, C, H, W) and (N, C) -> (N, C, H, W)."""
    dtype = float_dtype(x)
    planes = _planes(x, dtype, "plane_scale")
    scales = _per_plane(s, np.shape(x), dtype, "plane_scale")
    out = np.empty_like(planes)
    _plane_scale_kernel(planes, scales, out)
    return out.reshape(np.shape(x))


def plane_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_{h,w} a[n, c, h, w] * b[n, c, h, w]``: two (N, C, H, W) -> (N, C)."""
    dtype = float_dtype(a)
    if np.shape(a) != np.shape(b):
        raise ValueError(f"plane_dot: shapes {np.shape(a)} and {np.shape(b)} differ")
    pa, pb = _planes(a, dtype, "plane_dot"), _planes(b, dtype, "plane_dot")
    out = np.empty(pa.shape[0], dtype)
    _plane_dot_kernel(pa, pb, out)
    return out.reshape(np.shape(a)[:2])
