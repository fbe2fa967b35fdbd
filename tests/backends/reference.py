"""A plain-numpy reference backend: every name of the backend contract (``backends/api.py``)
written the obvious way, in float64 where it matters, rounded to the input dtype at the end.

Both the CPU and the CUDA kernels are tested against it (tests/backends/differential.py and
the per-kernel tests); arrays are numpy arrays, loops stand where clarity beats speed. Window
geometry is recomputed here from its definition, never taken from the backends, except that
the windowed average reads the window table it is given (its contract), whose definition is
checked against PyTorch separately (tests/backends/test_pool_windows.py).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from tinygrad_cnn.backends._dropout_hash import hash_bits, mask_params

F64 = np.float64


def tol(dtype) -> dict:
    """assert_allclose tolerances for results computed in ``dtype``."""
    if np.dtype(dtype) == np.float32:
        return dict(rtol=3e-5, atol=3e-5)
    return dict(rtol=1e-11, atol=1e-11)


def _wide(a):
    """float64 for floating arrays (ints stay as they are)."""
    a = np.asarray(a)
    return a.astype(F64) if a.dtype.kind == "f" else a


def _as(x, dtype):
    return np.ascontiguousarray(np.asarray(x).astype(dtype, copy=False))


# ---------------------------------------------------------------- arrays
def from_numpy(a):
    return np.array(a, order="C", copy=True)


def to_numpy(a):
    return np.ascontiguousarray(a)


def zeros(shape, dtype):
    return np.zeros(shape, dtype)


def full(shape, value, dtype):
    return np.full(shape, value, dtype)


def astype(a, dtype):
    return _as(a, dtype)


def copy(a):
    return np.array(a, copy=True)


def all_finite(a):
    return bool(np.isfinite(a).all())


def assign(dst, src):
    dst[...] = src


def setitem(a, index, value):
    a[index] = value


# ---------------------------------------------------------------- elementwise
def _relu(x):
    return np.where((x > 0) | np.isnan(x), x, 0.0)


_UNARY = {
    "neg": lambda x, s: -x, "exp": lambda x, s: np.exp(x), "log": lambda x, s: np.log(x),
    "sqrt": lambda x, s: np.sqrt(x), "sigmoid": lambda x, s: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda x, s: np.tanh(x), "relu": lambda x, s: _relu(x),
    "leaky_relu": lambda x, s: np.where(x > 0, x, s * x), "abs": lambda x, s: np.abs(x),
    "sign": lambda x, s: np.sign(x), "floor": lambda x, s: np.floor(x),
    "erf": lambda x, s: np.vectorize(math.erf, otypes=[F64])(x),
    "bitwise_not": lambda x, s: np.logical_not(x) if x.dtype == bool else -x - 1,
}
_BINARY = {
    "add": lambda a, b, s: a + b, "sub": lambda a, b, s: a - b, "mul": lambda a, b, s: a * b,
    "div": lambda a, b, s: a / b, "pow": lambda a, b, s: a ** b,
    "maximum": lambda a, b, s: np.maximum(a, b), "eq": lambda a, b, s: (a == b) * 1,
    "floordiv": lambda a, b, s: a // b, "mod": lambda a, b, s: np.mod(a, b),
    "relu_backward": lambda g, out, s: np.where(out <= 0, 0, g),
    "leaky_relu_backward": lambda g, x, s: np.where(x > 0, g, s * g),
    "bitwise_and": lambda a, b, s: a & b, "bitwise_or": lambda a, b, s: a | b,
    "bitwise_xor": lambda a, b, s: a ^ b,
}
_SCALAR = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "max": "maximum"}


def unary(op, a, param=0.0):
    with np.errstate(all="ignore"):
        return _as(_UNARY[op](_wide(a), param), a.dtype)


def binary(op, a, b, param=0.0):
    b = np.asarray(b).astype(a.dtype)
    with np.errstate(all="ignore"):
        return _as(_BINARY[op](_wide(a), _wide(b), param), a.dtype)


def scalar_op(a, op, value, reverse=False):
    v = np.array(value).astype(a.dtype) if a.dtype.kind in "iub" else np.array(value, F64)
    x = _wide(a)
    with np.errstate(all="ignore"):
        out = _BINARY[_SCALAR[op]](v, x, 0) if reverse else _BINARY[_SCALAR[op]](x, v, 0)
    return _as(out, a.dtype)


def where(cond, a, b):
    return _as(np.where(cond != 0, a, b), a.dtype)


# ---------------------------------------------------------------- reduce, movement, matmul
def sum(a, axes, keepdims):  # noqa: A001
    return _as(np.sum(_wide(a), axis=axes, keepdims=keepdims), a.dtype)


def max(a, axes, keepdims):  # noqa: A001
    return _as(np.max(a, axis=axes, keepdims=keepdims), a.dtype)


def reshape(a, shape):
    return np.ascontiguousarray(a).reshape(shape)


def permute(a, axes):
    return np.ascontiguousarray(np.transpose(a, axes))


def broadcast_to(a, shape):
    return np.ascontiguousarray(np.broadcast_to(a, shape))


def pad(a, pads, value):
    return np.pad(a, pads, constant_values=value)


def getitem(a, index):
    return np.ascontiguousarray(a[index])


def getitem_backward(grad, shape, index):
    out = np.zeros(shape, grad.dtype)
    np.add.at(out, index, grad)
    return out


def take_along_class(a, target):
    return np.ascontiguousarray(a[np.arange(a.shape[0]), target])


def matmul(a, b, transpose_a=False, transpose_b=False):
    x = np.swapaxes(a, -1, -2) if transpose_a else a
    y = np.swapaxes(b, -1, -2) if transpose_b else b
    return _as(np.matmul(_wide(x), _wide(y)), a.dtype)


# ---------------------------------------------------------------- convolution
def conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct convolution: out[n, o, i, j] = sum x[n, c, i*s - p + kh*d, ...] * w[o, c, kh, kw]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow), np.result_type(x, w))
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
    dxp = np.zeros(xp.shape, np.result_type(x, w, gy))
    dwt = np.zeros(w.shape, dxp.dtype)
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


def conv2d_forward(x, w, bias, stride, padding, dilation, groups):
    b = None if bias is None else _wide(bias)
    return _as(conv2d(_wide(x), _wide(w), b, stride, padding, dilation, groups), x.dtype)


def conv2d_backward_input(grad_out, w, x_shape, stride, padding, dilation, groups):
    dx, _ = conv2d_grads(np.zeros(x_shape), _wide(w), _wide(grad_out), stride, padding,
                         dilation, groups)
    return _as(dx, grad_out.dtype)


def conv2d_backward_weight(grad_out, x, w_shape, stride, padding, dilation, groups):
    _, dw = conv2d_grads(_wide(x), np.zeros(w_shape), _wide(grad_out), stride, padding,
                         dilation, groups)
    return _as(dw, grad_out.dtype)


# ---------------------------------------------------------------- pooling
def _pool_cells(size, k, s, p):
    """Per output index, the input cells of a window ``[o*s - p, o*s - p + k)`` in the image."""
    return [range(builtins.max(o * s - p, 0), builtins.min(o * s - p + k, size))
            for o in range((size + 2 * p - k) // s + 1)]


def max_pool2d_forward(x, kernel, stride, padding):
    """(out, argmax) with -inf padding; argmax is h*W + w inside the plane, first max wins."""
    n, c, h, w = x.shape
    rows = _pool_cells(h, kernel[0], stride[0], padding[0])
    cols = _pool_cells(w, kernel[1], stride[1], padding[1])
    out = np.empty((n, c, len(rows), len(cols)), x.dtype)
    arg = np.empty(out.shape, np.int64)
    for i, hs in enumerate(rows):
        for j, ws in enumerate(cols):
            flat_idx = np.array([a * w + b for a in hs for b in ws])
            vals = x.reshape(n, c, h * w)[:, :, flat_idx]
            out[:, :, i, j] = vals.max(axis=2)
            arg[:, :, i, j] = flat_idx[vals.argmax(axis=2)]
    return out, arg


def max_pool2d_backward(grad_out, argmax, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), F64)
    g, a = _wide(grad_out).reshape(n * c, -1), argmax.reshape(n * c, -1)
    for r in range(n * c):
        np.add.at(dx[r], a[r], g[r])
    return _as(dx.reshape(x_shape), grad_out.dtype)


def _windows(windows):
    """(i, j, rows, cols, divisor) of every window of a PoolWindows table."""
    rows, cols = windows
    for i in range(rows.out):
        for j in range(cols.out):
            yield (i, j, slice(rows.start[i], rows.end[i]), slice(cols.start[j], cols.end[j]),
                   int(rows.count[i] * cols.count[j]))


def avg_pool2d_forward(x, windows):
    out = np.zeros(x.shape[:2] + windows.out_hw)
    for i, j, rs, cs, div in _windows(windows):
        out[:, :, i, j] = _wide(x)[:, :, rs, cs].sum(axis=(2, 3)) / (div or 1)
    return _as(out, x.dtype)


def avg_pool2d_backward(grad_out, windows):
    dx = np.zeros(grad_out.shape[:2] + windows.in_hw)
    for i, j, rs, cs, div in _windows(windows):
        dx[:, :, rs, cs] += (_wide(grad_out)[:, :, i, j] / (div or 1))[:, :, None, None]
    return _as(dx, grad_out.dtype)


# ---------------------------------------------------------------- batch norm
def _bn_axes(x):
    return (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)


def batch_norm_train_forward(x, weight, bias, eps):
    axes, shape = _bn_axes(x)
    x64 = _wide(x)
    mean, var = x64.mean(axis=axes), x64.var(axis=axes)
    m = x.size // x.shape[1]
    invstd = 1.0 / np.sqrt(var + eps)
    y = ((x64 - mean.reshape(shape)) * invstd.reshape(shape) * _wide(weight).reshape(shape)
         + _wide(bias).reshape(shape))
    return tuple(_as(v, x.dtype) for v in (y, mean, invstd, var * m / (m - 1)))


def batch_norm_eval_forward(x, mean, var, weight, bias, eps):
    _, shape = _bn_axes(x)
    y = ((_wide(x) - _wide(mean).reshape(shape)) / np.sqrt(_wide(var).reshape(shape) + eps)
         * _wide(weight).reshape(shape) + _wide(bias).reshape(shape))
    return _as(y, x.dtype)


def batch_norm_backward(grad, x, weight, mean, invstd):
    axes, shape = _bn_axes(x)
    g, m = _wide(grad), x.size // x.shape[1]
    xhat = (_wide(x) - _wide(mean).reshape(shape)) * _wide(invstd).reshape(shape)
    db = g.sum(axis=axes)
    dw = (g * xhat).sum(axis=axes)
    dx = ((_wide(weight) * _wide(invstd)).reshape(shape) / m
          * (m * g - db.reshape(shape) - xhat * dw.reshape(shape)))
    return tuple(_as(v, grad.dtype) for v in (dx, dw, db))


# ---------------------------------------------------------------- losses
def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def log_softmax(x, axis):
    return _as(_log_softmax(_wide(x), axis), x.dtype)


def log_softmax_backward(grad, out, axis):
    g = _wide(grad)
    return _as(g - np.exp(_wide(out)) * g.sum(axis=axis, keepdims=True), grad.dtype)


def softmax(x, axis):
    return _as(np.exp(_log_softmax(_wide(x), axis)), x.dtype)


def softmax_backward(grad, out, axis):
    g, o = _wide(grad), _wide(out)
    return _as(o * (g - (g * o).sum(axis=axis, keepdims=True)), grad.dtype)


def _smoothed(target, c, s):
    return np.eye(c)[target] * (1 - s) + s / c


def cross_entropy_forward(logits, target, label_smoothing):
    logp = _log_softmax(_wide(logits), 1)
    loss = -(_smoothed(target, logits.shape[1], label_smoothing) * logp).sum(axis=1)
    return _as(loss, logits.dtype), _as(np.exp(logp), logits.dtype)


def cross_entropy_backward(grad_loss, probs, target, label_smoothing):
    d = _wide(probs) - _smoothed(target, probs.shape[1], label_smoothing)
    return _as(d * _wide(grad_loss)[:, None], probs.dtype)


# ---------------------------------------------------------------- dropout, optimizers
def dropout_mask(shape, p, dtype, seed):
    """The documented counter hash on numpy arrays: element i kept when its bits >= threshold."""
    key, threshold, keep = mask_params(p, seed)
    bits = hash_bits(np.uint64(key), np.arange(int(np.prod(shape)), dtype=np.uint64))
    dt = F64 if np.dtype(dtype) == F64 else np.float32
    return np.where(bits >= threshold, keep, 0.0).astype(dt).reshape(shape)


def sgd_step(param, grad, momentum_buf, lr, momentum, dampening, weight_decay, nesterov,
             first_step):
    """PyTorch's SGD, in place (on float64 arrays it is the exact float64 trajectory)."""
    p = _wide(param)
    d = _wide(grad) + weight_decay * p
    if momentum:
        buf = d.copy() if first_step else momentum * _wide(momentum_buf) + (1 - dampening) * d
        momentum_buf[...] = buf
        d = d + momentum * buf if nesterov else buf
    param[...] = p - lr * d


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
              decoupled):
    """Adam / AdamW in the textbook form, in place."""
    p, g = _wide(param), _wide(grad)
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = beta1 * _wide(exp_avg) + (1 - beta1) * g
    v = beta2 * _wide(exp_avg_sq) + (1 - beta2) * g * g
    denom = np.sqrt(v) / np.sqrt(1 - beta2 ** step) + eps
    exp_avg[...], exp_avg_sq[...] = m, v
    param[...] = p - lr / (1 - beta1 ** step) * m / denom


from reference_select import *  # noqa: E402,F401,F403 - the contract's last block
