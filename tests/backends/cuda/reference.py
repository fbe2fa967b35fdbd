"""Plain numpy references for the CUDA kernel tests (loops where clarity beats speed)."""
from __future__ import annotations

import numpy as np


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
