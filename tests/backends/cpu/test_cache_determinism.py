"""Training gives the same bits whether the Numba kernels were compiled just now or loaded from
Numba's on-disk cache (a cold cache and a warm one used to train different models)."""
import os
import subprocess
import sys
import textwrap

import numpy as np

_TRAIN = textwrap.dedent("""
    import sys
    import numpy as np
    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn.models import vgg11_bn
    from tinygrad_cnn.optim import SGD
    tg.manual_seed(0)
    model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    model.train()
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(2):
        x = tg.Tensor(rng.standard_normal((8, 3, 32, 32)).astype(np.float32))
        y = tg.Tensor(rng.integers(0, 10, 8))
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.numpy())
    arrays = {k: np.asarray(v) for k, v in model.state_dict().items()}
    arrays.update({f"grad.{i}": p.grad.numpy() for i, p in enumerate(model.parameters())})
    np.savez(sys.argv[1], losses=np.array(losses), **arrays)
""")


def _train(tmp_path, cache, out):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    subprocess.run([sys.executable, "-c", _TRAIN, str(out)], env=env, check=True, timeout=600)
    return np.load(out)


def test_cold_and_warm_cache_train_identically(tmp_path):
    cache = tmp_path / "numba-cache"
    cold = _train(tmp_path, cache, tmp_path / "cold.npz")  # empty cache: compiled now
    assert any(cache.rglob("*.nbi"))
    warm = _train(tmp_path, cache, tmp_path / "warm.npz")  # the same kernels, loaded
    assert sorted(cold.files) == sorted(warm.files) and len(cold.files) > 30
    differ = [k for k in cold.files if not np.array_equal(cold[k], warm[k])]
    assert differ == []


_WINOGRAD4 = textwrap.dedent("""
    import sys
    import numpy as np
    from tinygrad_cnn.backends.cpu import winograd
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 11, 9)).astype(np.float32)
    w = rng.standard_normal((6, 5, 3, 3)).astype(np.float32)
    go = rng.standard_normal((2, 6, 11, 9)).astype(np.float32)
    plan = {}
    out = winograd.forward(x, w, None, 1, 1, relu=True, tile=4, plan=plan)
    dx = winograd.backward_input(go, w, x.shape, 1, 1, tile=4, plan=plan)
    dw = winograd.backward_weight(go, x, 1, 1, tile=4, plan=plan)
    np.savez(sys.argv[1], out=out, dx=dx, dw=dw)
""")


def test_winograd4_kernels_cold_and_warm_cache_agree(tmp_path):
    """The F(4x4, 3x3) kernels give the same bits compiled now and loaded from the cache."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    results = []
    for name in ("cold.npz", "warm.npz"):
        subprocess.run([sys.executable, "-c", _WINOGRAD4, str(tmp_path / name)], env=env,
                       check=True, timeout=600)
        results.append(np.load(tmp_path / name))
    assert any((tmp_path / "numba-cache").rglob("*winograd_f4*.nbi"))
    for key in ("out", "dx", "dw"):
        assert np.array_equal(results[0][key], results[1][key])
