"""export_onnx judged by onnxruntime: our logits on real images, every built-in layer, a
plugin layer through its plugin's exporter, clear errors, atomic writes."""
from __future__ import annotations

import errno
import os

import numpy as np
import pytest

pytest.importorskip("onnx", reason="pip install -e '.[interop]'")

import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn import layers, nn  # noqa: E402
from tinygrad_cnn.interop import InteropError, export_onnx, load_into  # noqa: E402
from tinygrad_cnn.layers import exporters  # noqa: E402
from tinygrad_cnn.models import vgg11_bn  # noqa: E402

from .judges import ours  # noqa: E402

TOL = 1e-4


def _run(ort, path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _small_vgg(torch_vgg):
    model = vgg11_bn(num_classes=10, input_size=32, head="small", width=0.125)
    return load_into(model, {k: v.numpy() for k, v in torch_vgg.state_dict().items()}).eval()


def test_vgg11_bn_small_head_matches_onnxruntime(ort, tmp_path, torch_vgg, images):
    import onnx
    model = _small_vgg(torch_vgg)
    path = export_onnx(model, tmp_path / "vgg.onnx", (3, 32, 32), doc="normalised as ImageNet")
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version >= 17
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and [d.dim_value for d in dims[1:]] == [3, 32, 32]
    assert proto.graph.input[0].doc_string == "normalised as ImageNet"
    assert {i.name for i in proto.graph.initializer} >= {"features.0.weight",
                                                         "features.1.running_var",
                                                         "classifier.3.bias"}
    want = ours(model, images)
    for batch in (images, images[:1], images[:3]):  # the batch dimension is dynamic
        got = _run(ort, path, batch)
        diff = float(np.abs(got - want[:len(batch)]).max())
        assert diff <= TOL, diff
    print(f"vgg11_bn small head, onnxruntime vs ours: max abs diff {diff:.3g}")


def _every_builtin():
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.SyncBatchNorm(6), nn.ReLU(),
        nn.GroupNorm(3, 6), nn.GELU(), nn.SiLU(), nn.GELU("tanh"), nn.ELU(0.5), nn.ReLU6(),
        nn.Hardswish(), nn.Softplus(2.0, 1.0), nn.Upsample(scale_factor=2),
        nn.Upsample(size=(21, 23), mode="bilinear"), nn.GroupNorm(2, 6, affine=False),
        nn.Upsample(size=32, mode="bilinear", align_corners=True),
        nn.Conv2d(6, 6, 3, stride=2, padding=(1, 2), dilation=(1, 2), groups=3, bias=False),
        nn.MaxPool2d(2), nn.AvgPool2d(3, 1, 1, count_include_pad=False), nn.AvgPool2d(2, 1),
        nn.AdaptiveAvgPool2d((3, 2)), nn.LeakyReLU(0.2), nn.Tanh(),
        nn.Sequential(nn.Flatten(), nn.Identity()), nn.Linear(36, 16), nn.BatchNorm1d(16),
        nn.LayerNorm(16), nn.LayerNorm(16, elementwise_affine=False),
        nn.Sigmoid(), nn.Dropout(0.3), nn.Linear(16, 8, bias=False), nn.Softmax(1),
        nn.LogSoftmax(dim=1))


def test_every_builtin_layer(ort, tmp_path, images):
    own = {row.name for row in layers.available()
           if (row.distribution or "").startswith("tinygrad-cnn")}
    model = _every_builtin()
    used = {layers.name_of(type(m)) for m in model.modules()}
    assert own <= used, own - used
    tg.manual_seed(3)
    for m in model.modules():  # non-trivial statistics
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.data = tg.randn(m.num_features).data
            m.running_var.data = (tg.rand(m.num_features) + 0.5).data
        if isinstance(m, (nn.GroupNorm, nn.LayerNorm)) and getattr(m, "weight", None) is not None:
            m.weight.data = (tg.rand(*m.weight.shape) + 0.5).data
            m.bias.data = tg.randn(*m.bias.shape).data
    model.eval()
    path = export_onnx(model, tmp_path / "all.onnx", (3, 32, 32))
    diff = float(np.abs(_run(ort, path, images) - ours(model, images)).max())
    assert diff <= TOL, diff


def test_adaptive_pool_of_unequal_windows(ort, tmp_path):
    model = nn.Sequential(nn.AdaptiveAvgPool2d((3, 5)), nn.Flatten(0, 2)).eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 8)).astype(np.float32)
    path = export_onnx(model, tmp_path / "a.onnx", (4, 7, 8))
    np.testing.assert_allclose(_run(ort, path, x), ours(model, x), atol=TOL)


def test_plugin_layer_through_its_plugin_exporter(ort, tmp_path, images, squeeze_excite):
    if exporters.find_exporter("SqueezeExcite") is None:
        pytest.skip("the installed tgcnn-squeeze-excite declares no ONNX exporter: "
                    "pip install ./plugins/tgcnn-squeeze-excite")
    tg.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          squeeze_excite.SqueezeExcite(8, reduction=2), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 16 * 16, 10)).eval()
    path = export_onnx(model, tmp_path / "se.onnx", (3, 32, 32))
    diff = float(np.abs(_run(ort, path, images) - ours(model, images)).max())
    assert diff <= TOL, diff
    print(f"SqueezeExcite model, onnxruntime vs ours: max abs diff {diff:.3g}")


def test_layer_without_exporter_is_named(tmp_path, sobel):
    model = nn.Sequential(nn.Conv2d(3, 3, 1), sobel.SobelEdges(3))
    with pytest.raises(InteropError, match=r"layer SobelEdges \(1\) has no ONNX exporter"):
        export_onnx(model, tmp_path / "s.onnx", (3, 8, 8))
    assert not (tmp_path / "s.onnx").exists()


def test_registered_exporter_is_used(ort, tmp_path, sobel, images):
    def sobel_conv(g, layer, x, sample):
        w = g.weight("weight", layer.weight.numpy())
        return g.node("Conv", [x, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                      group=layer.in_channels)

    exporters.register_exporter("SobelEdges", sobel_conv)
    try:
        model = nn.Sequential(sobel.SobelEdges(3, ["vertical", "horizontal"]), nn.ReLU())
        path = export_onnx(model, tmp_path / "s.onnx", (3, 32, 32))
    finally:
        exporters.unregister_exporter("SobelEdges")
    np.testing.assert_allclose(_run(ort, path, images), ours(model, images), atol=TOL)


def test_missing_target_folder(tmp_path):
    with pytest.raises(InteropError, match="does not exist"):
        export_onnx(nn.Sequential(nn.ReLU()), tmp_path / "no" / "m.onnx", (1, 2, 2))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "m.onnx").write_bytes(b"old")
    folder.chmod(0o500)
    try:
        with pytest.raises(InteropError, match="m.onnx"):
            export_onnx(nn.Sequential(nn.ReLU()), folder / "m.onnx", (1, 2, 2))
    finally:
        folder.chmod(0o700)
    assert (folder / "m.onnx").read_bytes() == b"old"


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    """A folder refusing the write (EACCES) ends in one error; the old file is untouched."""
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InteropError, match="Permission denied.*unchanged"):
        export_onnx(nn.Sequential(nn.ReLU()), target, (1, 2, 2))
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
