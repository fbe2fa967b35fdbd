"""Plain numpy references for the CUDA kernel tests (loops where clarity beats speed)."""
from __future__ import annotations

import numpy as np


def tol(dtype) -> dict:
    """assert_allclose tolerances for results computed in ``dtype``."""
    if np.dtype(dtype) == np.float32:
        return dict(rtol=3e-5, atol=3e-5)
    return dict(rtol=1e-11, atol=1e-11)


def conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct convolution: out[n, o, i, j] = sum x[n, c, i*s - p + kh*d, ...] * w[o, c, kh, kw]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow), x.dtype)
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                           j * dw:j * dw + sw * (ow - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("ncij,oc->noij", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def conv2d_grads(x, w, gy, stride, padding, dilation, groups):
    """(dx, dw) of sum(conv2d(x, w) * gy), by the transposed loops of :func:`conv2d`."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = gy.shape[2:]
    og = o // groups
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dwt = np.zeros_like(w)
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                sl = (slice(None), slice(g * cg, (g + 1) * cg),
                      slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                      slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
                gys = gy[:, g * og:(g + 1) * og]
                dwt[g * og:(g + 1) * og, :, i, j] += np.einsum("noij,ncij->oc", gys, xp[sl])
                dxp[sl] += np.einsum("noij,oc->ncij", gys, w[g * og:(g + 1) * og, :, i, j])
    return dxp[:, :, ph:ph + h, pw:pw + wd], dwt


def max_pool2d(x, k, s, p):
    """(out, argmax) with -inf padding; argmax is h*W + w inside the plane, first max wins."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    out = np.empty((n, c, oh, ow), x.dtype)
    arg = np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            hs = range(max(h0, 0), min(h0 + k[0], h))
            ws = range(max(w0, 0), min(w0 + k[1], w))
            flat_idx = np.array([a * w + b for a in hs for b in ws])
            vals = x.reshape(n, c, h * w)[:, :, flat_idx]
            best = vals.argmax(axis=2)
            out[:, :, i, j] = vals.max(axis=2)
            arg[:, :, i, j] = flat_idx[best]
    return out, arg


def max_pool2d_backward(gy, arg, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), gy.dtype)
    g, a = gy.reshape(n * c, -1), arg.reshape(n * c, -1)
    for r in range(n * c):
        np.add.at(dx[r], a[r], g[r])
    return dx.reshape(x_shape)


def avg_pool2d_matrix(h, w, k, s, p, include_pad):
    """Matrix A (OH*OW, H*W) with avg_pool(x) = A @ x per plane; its transpose gives backward."""
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    a = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            cells = [(r, q) for r in range(max(h0, 0), min(h0 + k[0], h))
                     for q in range(max(w0, 0), min(w0 + k[1], w))]
            div = k[0] * k[1] if include_pad else len(cells)
            for r, q in cells:
                a[i * ow + j, r * w + q] = 1.0 / div
    return a, (oh, ow)


def adaptive_matrix(h, w, oh, ow):
    """Matrix of PyTorch's adaptive average pooling on one (h, w) plane."""
    a = np.zeros((oh * ow, h * w))
    for i in range(oh):
        h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            for r in range(h0, h1):
                for q in range(w0, w1):
                    a[i * ow + j, r * w + q] = 1.0 / ((h1 - h0) * (w1 - w0))
    return a


def plane_apply(a, x, out_hw):
    """Apply a per-plane matrix to every (n, c) plane of x."""
    n, c = x.shape[:2]
    return (x.reshape(n * c, -1) @ a.T).reshape(n, c, *out_hw).astype(x.dtype)


def batch_norm_train(x, w, b, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    m = x.size // x.shape[1]
    invstd = 1.0 / np.sqrt(var + eps)
    y = (x - mean.reshape(shape)) * invstd.reshape(shape) * w.reshape(shape) + b.reshape(shape)
    return y, mean, invstd, var * m / (m - 1)


def batch_norm_backward(g, x, w, mean, invstd):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    m = x.size // x.shape[1]
    xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
    db = g.sum(axis=axes)
    dw = (g * xhat).sum(axis=axes)
    dx = (w * invstd).reshape(shape) / m * (m * g - db.reshape(shape) - xhat * dw.reshape(shape))
    return dx, dw, db


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def cross_entropy(logits, target, s):
    logp = log_softmax(logits, 1)
    n, c = logits.shape
    loss = -(1 - s) * logp[np.arange(n), target] - s * logp.mean(axis=1)
    onehot = np.eye(c)[target]
    return loss, np.exp(logp), onehot * (1 - s) + s / c


def sgd(p, g, buf, lr, momentum, dampening, wd, nesterov, first):
    d = g + wd * p
    if momentum:
        buf = d.copy() if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    return p - lr * d, buf


def adam(p, g, m, v, step, lr, b1, b2, eps, wd, decoupled):
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    denom = np.sqrt(v) / np.sqrt(1 - b2 ** step) + eps
    return p - lr / (1 - b1 ** step) * m / denom, m, v
