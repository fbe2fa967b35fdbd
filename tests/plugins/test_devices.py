"""The example plugins on the CUDA device: SobelEdges composes built-in ops and runs there
as is; SqueezeExcite's own Numba ops are CPU-only, so its functional layer falls back to
built-in ops there (and the raw ops refuse). Runs in the simulator process
(``NUMBA_ENABLE_CUDASIM=1 pytest -m cuda``) or on a GPU; skipped elsewhere."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn

pytestmark = pytest.mark.cuda


def test_plugin_model_on_cuda_matches_cpu(sobel, squeeze_excite):
    tg.manual_seed(0)
    model = nn.Sequential(sobel.SobelEdges(1, ["vertical", "diagonal"]),
                          nn.Conv2d(2, 4, 1), squeeze_excite.SqueezeExcite(4, reduction=2))
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    expected = model(tg.Tensor(x)).numpy()
    model.to("cuda")
    xc = tg.Tensor(x, device="cuda", requires_grad=True)
    out = model(xc)
    assert out.device == "cuda"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert xc.grad.device == "cuda"
    assert model[2].fc1.weight.grad is not None


def test_raw_ops_refuse_cuda_tensors(squeeze_excite):
    x = tg.randn(1, 2, 3, 3).to("cuda")
    with pytest.raises(squeeze_excite.DeviceError, match="CPU kernels only"):
        squeeze_excite.ChannelMean.apply(x)
