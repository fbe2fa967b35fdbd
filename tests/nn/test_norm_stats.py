"""BatchNorm's running statistics against torch.nn over several steps, and nn's layering:
no module of ``tinygrad_cnn.nn`` looks into an op's backward context or calls a kernel."""
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn


@pytest.mark.parametrize("momentum", [0.1, 0.7, None])
@pytest.mark.parametrize("layer, shape", [("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm1d", (6, 3))])
def test_running_statistics_follow_pytorch_over_several_steps(momentum, layer, shape):
    torch = pytest.importorskip("torch")
    mine = getattr(nn, layer)(3, momentum=momentum)
    ref = getattr(torch.nn, layer)(3, momentum=momentum)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        if step == 2:   # a step without a graph updates the statistics just the same
            with tg.no_grad():
                mine(tg.Tensor(x))
        else:
            mine(tg.Tensor(x, requires_grad=True)).sum().backward()
        ref(torch.tensor(x))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(mine, key).numpy(),
                                   getattr(ref, key).detach().numpy(), rtol=1e-5, atol=1e-6)
    mine.reset_running_stats()
    assert mine.running_mean.numpy().tolist() == [0.0] * 3
    assert mine.running_var.numpy().tolist() == [1.0] * 3
    assert mine.num_batches_tracked.item() == 0


def test_nn_reaches_kernels_and_graphs_only_through_ops():
    root = Path(tg.__file__).parent / "nn"
    kernel_call = re.compile(r"\bbe\.(?!to_numpy|from_numpy)\w+\(|\._ctx\.|=\s*\w+\._ctx\b|"
                             r"dropout_mask|batch_norm_train_forward|max_pool2d_forward")
    offenders = [f"{path.relative_to(root)}:{i}: {line.strip()}"
                 for path in sorted(root.rglob("*.py"))
                 for i, line in enumerate(path.read_text().splitlines(), 1)
                 if kernel_call.search(line)]
    assert offenders == []


def test_trained_statistics_fold_into_the_convolution_in_eval():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    rng = np.random.default_rng(5)
    for _ in range(3):           # the running statistics come from the op's output
        model(tg.Tensor(rng.standard_normal((4, 3, 6, 6)).astype(np.float32) * 2 + 1)).sum() \
            .backward()
    assert model[1].num_batches_tracked.item() == 3
    assert np.abs(model[1].running_mean.numpy()).max() > 0.05
    model.eval()
    x = tg.Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    plain = model(x).numpy()                  # with a graph: layer by layer
    with tg.no_grad():
        folded = model(x).numpy()             # BatchNorm folded into the convolution
    np.testing.assert_allclose(folded, plain, rtol=1e-5, atol=1e-5)
