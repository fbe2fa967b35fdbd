"""nn.SyncBatchNorm in one process (no process group): exactly BatchNorm2d; and
convert_sync_batchnorm keeps weights, buffers, modes and the children's order.
(The synchronised case runs under mpiexec in tests/distributed/test_sync_batchnorm.py.)"""
import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn import nn


def _x(seed=0, shape=(4, 3, 5, 5)):
    return (np.random.default_rng(seed).standard_normal(shape) * 3 + 2).astype(np.float32)


def test_one_process_trains_and_evaluates_like_batchnorm2d():
    bn, sync = nn.BatchNorm2d(3, momentum=None), nn.SyncBatchNorm(3, momentum=None)
    for seed in range(2):
        outs = []
        for layer in (bn, sync):
            x = tg.Tensor(_x(seed), requires_grad=True)
            y = layer(x)
            (y * tg.Tensor(_x(seed + 10))).sum().backward()
            outs.append((y.numpy(), x.grad.numpy(), layer.weight.grad.numpy(),
                         layer.bias.grad.numpy()))
            layer.weight.grad = layer.bias.grad = None
        for a, b in zip(*outs):
            assert np.array_equal(a, b)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert np.array_equal(getattr(bn, name).numpy(), getattr(sync, name).numpy()), name
    bn.eval(), sync.eval()
    assert np.array_equal(bn(tg.Tensor(_x(5))).numpy(), sync(tg.Tensor(_x(5))).numpy())


def test_convert_keeps_state_mode_and_order():
    inner = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.BatchNorm1d(36, affine=False))
    model = nn.Sequential(inner, nn.Linear(36, 2))
    model(tg.Tensor(_x()))  # running statistics away from their initial values
    inner[1].eval()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    weight = inner[1].weight
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert [type(m).__name__ for m in inner] == ["Conv2d", "SyncBatchNorm", "ReLU", "Flatten",
                                                 "SyncBatchNorm"]
    assert inner[1].weight is weight and inner[1].training is False and inner[4].training
    assert inner[4].weight is None and inner[4].affine is False
    after = model.state_dict()
    assert list(after) == list(before)
    for k in before:
        assert np.array_equal(np.asarray(after[k]), np.asarray(before[k])), k
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(2, eps=1e-3, momentum=0.2))
    assert isinstance(single, nn.SyncBatchNorm) and (single.eps, single.momentum) == (1e-3, 0.2)
