"""VGG builders: torchvision's parameter counts and names, small-image variants, init,
agreement with a PyTorch model of the same architecture."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn
from tinygrad_cnn.nn import init

COUNTS = {"vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848,
          "vgg13_bn": 133_053_736, "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
          "vgg19": 143_667_240, "vgg19_bn": 143_678_248}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_parameter_counts_match_torchvision(name):
    with init.skip_init():  # counting needs shapes, not 140 M random draws
        model = models.get_builder(name)()
    assert model.num_parameters() == COUNTS[name]
    assert sum(v.size for k, v in model.state_dict().items()
               if "running" not in k and "num_batches" not in k) == COUNTS[name]


def test_state_dict_names_are_torchvision_names():
    with init.skip_init():
        keys = list(models.vgg11_bn().state_dict())
    convs = [0, 4, 8, 11, 15, 18, 22, 25]
    expected = []
    for i in convs:
        expected += [f"features.{i}.weight", f"features.{i}.bias"]
        expected += [f"features.{i + 1}.{s}" for s in
                     ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")]
    for i in (0, 3, 6):
        expected += [f"classifier.{i}.weight", f"classifier.{i}.bias"]
    assert keys == expected
    with init.skip_init():
        model = models.vgg16()
    assert model.classifier[0].weight.shape == (4096, 25088)
    assert isinstance(model.avgpool, nn.AdaptiveAvgPool2d) and model.avgpool.output_size == (7, 7)


@pytest.mark.parametrize("channels, size, pools", [(1, 28, 4), (3, 32, 5), (3, 8, 3)])
def test_small_head_fits_small_images(channels, size, pools):
    model = models.vgg16(in_channels=channels, num_classes=10, input_size=size, width=0.125,
                         head="small")
    n_pools = sum(isinstance(m, nn.MaxPool2d) for m in model.features)
    assert n_pools == pools
    side = size // 2 ** pools
    assert model.classifier[0].in_features == 64 * side * side
    assert model.eval()(tg.zeros(2, channels, size, size)).shape == (2, 10)


def test_width_multiplier_and_hidden_size():
    model = models.vgg11(width=0.5, head="small", input_size=32, num_classes=7, hidden=100)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128, 128, 256, 256, 256, 256]
    assert model.classifier[0].out_features == 100 and model.classifier[-1].out_features == 7
    assert models.vgg(["M", 8, "M"], input_size=4, head="small", num_classes=2).num_parameters() \
        == (3 * 9 * 8 + 8) + (8 * 1 * 1 * 512 + 512) + (512 * 2 + 2)


def test_torchvision_initialisation():
    tg.manual_seed(0)
    model = models.vgg13_bn(width=0.25, input_size=32, head="small")
    conv = model.features[3]
    fan_out = conv.out_channels * 9
    assert conv.weight.numpy().std() == pytest.approx(np.sqrt(2 / fan_out), rel=0.05)
    assert not conv.bias.numpy().any()
    bn = model.features[1]
    assert np.all(bn.weight.numpy() == 1) and not bn.bias.numpy().any()
    lin = model.classifier[0]
    assert lin.weight.numpy().std() == pytest.approx(0.01, rel=0.05)
    assert not lin.bias.numpy().any()
    tg.manual_seed(0)
    again = models.vgg13_bn(width=0.25, input_size=32, head="small")
    np.testing.assert_array_equal(again.features[3].weight.numpy(), conv.weight.numpy())


@pytest.mark.parametrize("kwargs, message", [
    ({"head": "tiny"}, "head must be one of imagenet, small"),
    ({"width": 0}, "width must be a positive number"),
    ({"num_classes": 0}, "num_classes must be a positive int"),
    ({"input_size": (32,)}, "input_size must be a positive int or"),
])
def test_bad_builder_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.vgg11(**kwargs)
    with pytest.raises(ValueError, match="unknown configuration 'F'"):
        models.vgg("F")


def test_pytorch_vgg_of_the_same_architecture_loads_and_agrees():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    ours = models.vgg11_bn(in_channels=3, num_classes=5, input_size=32, width=0.125,
                           head="small")
    layers = []
    c = 3
    for item in models.CONFIGS["A"]:
        if item == "M":
            layers.append(tn.MaxPool2d(2, 2))
        else:
            layers += [tn.Conv2d(c, item // 8, 3, padding=1), tn.BatchNorm2d(item // 8),
                       tn.ReLU(True)]
            c = item // 8
    ref = tn.Sequential(OrderedDict(
        features=tn.Sequential(*layers), flatten=tn.Flatten(),
        classifier=tn.Sequential(tn.Linear(c, 64), tn.ReLU(True), tn.Dropout(0.5),
                                 tn.Linear(64, 5))))
    ref.train()(torch.randn(8, 3, 32, 32))  # non-trivial running statistics
    ref.eval(), ours.eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
