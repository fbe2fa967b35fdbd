"""Compile (or load from Numba's on-disk cache) every CPU kernel once, in float32 and float64.

Run it once after installing (``python -m tinygrad_cnn.warmup``) so that the first training
step, and a test suite, do not pay the JIT compile time.

Example:
    >>> from tinygrad_cnn.warmup import warm_up
    >>> seconds = warm_up()
"""
from __future__ import annotations

import time

import numpy as np


def _exercise(dtype: type) -> None:
    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn.backends import get_backend

    be = get_backend("cpu")
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((2, 4, 6, 6)), dtype=dtype, requires_grad=True)
    w = tg.Tensor(rng.standard_normal((4, 2, 3, 3)), dtype=dtype, requires_grad=True)
    b = tg.Tensor(np.zeros(4), dtype=dtype, requires_grad=True)
    gamma, beta = tg.Tensor(np.ones(4), dtype=dtype, requires_grad=True), \
        tg.Tensor(np.zeros(4), dtype=dtype, requires_grad=True)
    h = F.conv2d(x, w, b, padding=1, groups=2)
    h = F.batch_norm(h, None, None, gamma, beta, training=True).relu()
    h = F.max_pool2d(h, 2) + F.avg_pool2d(h, 2) + F.adaptive_avg_pool2d(h, 3) \
        + F.max_pool2d(h, 3, 2, 1)  # VGG's 2x2 pooling has a kernel of its own
    h = F.dropout(F.leaky_relu(h, 0.1), 0.1)
    logits = F.linear(h.flatten(1), tg.Tensor(rng.standard_normal((3, 36)), dtype=dtype,
                                               requires_grad=True))
    loss = F.cross_entropy(logits, [0, 2]) + F.log_softmax(logits, 1).sum() * 0.0 \
        + F.softmax(logits, 1).sum() * 0.0
    loss = loss + F.gelu(logits).sum() * 0.0      # the erf kernel
    loss.backward()
    p, g, m, v = (np.zeros(5, dtype) for _ in range(4))
    be.sgd_step(p, g, m, 0.1, 0.9, 0.0, 0.0, False, True)
    be.adam_step(p, g, m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    from tinygrad_cnn.backends.cpu import direct, winograd  # auto: wide or tiny layers only
    ww = np.ones((2, 2, 3, 3), dtype)
    for tile in winograd.TILES:  # F(2x2, 3x3) and F(4x4, 3x3)
        for xw in winograd_structures(dtype, tile):  # every structure, with and without plan
            for plan in (None, {}):
                yw = winograd.forward(xw, ww, None, 1, 1, relu=True, tile=tile, plan=plan)
                winograd.backward_input(yw, ww, xw.shape, 1, 1, tile=tile, plan=plan)
                winograd.backward_weight(yw, xw, 1, 1, tile=tile, plan=plan)
    s1 = (1, 1)
    xw = rng.standard_normal((1, 2, 4, 4)).astype(dtype)
    for plan in (None, {}):
        yw = direct.forward(xw, ww, None, s1, s1, s1, relu=True, plan=plan)
        direct.backward_input(yw, ww, xw.shape, s1, s1, s1, plan=plan)
        direct.backward_weight(yw, xw, ww.shape, s1, s1, s1, plan=plan)


def winograd_structures(dtype: type, tile: int) -> list[np.ndarray]:
    """Inputs (N, 2, H, W) that take 2 -> 2 channel Winograd convolutions through each of the
    drivers' structures (few tiles; by samples; by ``t``: one image too large for a sample's
    buffers), so that the warm-up compiles the kernels of all of them.

    Example:
        >>> [x.shape for x in winograd_structures(np.float32, 2)][:2]
        [(1, 2, 4, 4), (8, 2, 16, 16)]
    """
    from tinygrad_cnn.backends.cpu import winograd
    nt = (tile + 2) ** 2
    tiles = winograd._SAMPLE_BYTES // (nt * 4 * np.dtype(dtype).itemsize) + 1  # per sample
    side = tile * int(np.ceil(np.sqrt(tiles)))
    return [np.ones((1, 2, 4, 4), dtype), np.ones((8, 2, 16, 16), dtype),
            np.ones((1, 2, side, side), dtype)]


#: kernels every training step runs: when one has no on-disk cache entry, the first batch
#: compiles (seconds) rather than loads
_TRAINING_KERNELS = (("conv", "im2col"), ("conv", "col2im"), ("elementwise", "_relu_kernel"),
                     ("loss", "_cross_entropy_forward_kernel"), ("optim", "_sgd_kernel"))


def kernels_cached() -> bool:
    """Whether Numba's on-disk cache holds the CPU kernels every training step needs (False:
    the first step compiles them, several seconds; a stale cache entry is not detected).

    Example:
        >>> isinstance(kernels_cached(), bool)
        True
    """
    import importlib
    import os

    for module, name in _TRAINING_KERNELS:
        mod = importlib.import_module(f"tinygrad_cnn.backends.cpu.{module}")
        cache_file = getattr(getattr(getattr(mod, name, None), "_cache", None), "_cache_file", None)
        index = getattr(cache_file, "_index_path", None)
        if not index or not os.path.exists(index):
            return False
    return True


def warm_up() -> float:
    """Compile every CPU kernel for float32 and float64; return the seconds it took."""
    start = time.perf_counter()
    for dtype in (np.float32, np.float64):
        _exercise(dtype)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"tinygrad-cnn: Numba kernels ready in {warm_up():.1f} s")
