"""Built-in layers against PyTorch: same parameter names and shapes, same outputs (float32
rounding) once a torch state_dict is loaded after .numpy(); argument checks; configs."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.testing import conv_geometries, gradcheck

torch = pytest.importorskip("torch")

PAIRS = [  # (ours, torch's, input shape)
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), lambda: torch.nn.Conv2d(3, 4, 3, 2, 1),
     (2, 3, 9, 9)),
    (lambda: nn.Conv2d(4, 6, (2, 3), dilation=2, groups=2, bias=False),
     lambda: torch.nn.Conv2d(4, 6, (2, 3), dilation=2, groups=2, bias=False), (1, 4, 8, 8)),
    (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5)),
    (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), (2, 2, 7, 7)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (1, 3, 6, 6)),
    (lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (1, 2, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d((7, 7)), lambda: torch.nn.AdaptiveAvgPool2d((7, 7)),
     (1, 2, 10, 9)),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), (3, 4)),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (3, 4)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), (3, 4)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (3, 4, 2)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1), (3, 4)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4, 5)),
    (lambda: nn.Identity(), lambda: torch.nn.Identity(), (2, 3)),
    (lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (lambda: nn.BatchNorm1d(3, affine=False), lambda: torch.nn.BatchNorm1d(3, affine=False),
     (6, 3)),
    (lambda: nn.Dropout(0.3), lambda: torch.nn.Dropout(0.3), (3, 4)),
]


def torch_state(module) -> dict:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("ours, theirs, shape", PAIRS)
def test_layer_matches_pytorch_after_loading_its_state_dict(ours, theirs, shape):
    mine, ref = ours(), theirs()
    ref_state = torch_state(ref)
    assert {k: v.shape for k, v in mine.state_dict().items()} == \
        {k: v.shape for k, v in ref_state.items()}
    mine.load_state_dict(ref_state)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for training in (True, False):
        mine.train(training), ref.train(training)
        if isinstance(mine, nn.Dropout) and training:
            continue  # different random streams; dropout's statistics are tested elsewhere
        xt = torch.tensor(x, requires_grad=True)
        xm = tg.Tensor(x, requires_grad=True)
        expected, got = ref(xt), mine(xm)
        np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
        upstream = np.random.default_rng(1).standard_normal(expected.shape).astype(np.float32)
        expected.backward(torch.tensor(upstream))
        got.backward(tg.Tensor(upstream))
        np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        for name, p in mine.named_parameters():
            theirs_grad = dict(ref.named_parameters())[name].grad.numpy()
            np.testing.assert_allclose(p.grad.numpy(), theirs_grad, rtol=1e-4, atol=1e-4)
        mine.zero_grad(), ref.zero_grad()
    for key, value in torch_state(ref).items():  # running statistics evolve alike
        np.testing.assert_allclose(mine.state_dict()[key], value, rtol=1e-5, atol=1e-6)


def test_pytorch_cnn_state_dict_loads_and_gives_the_same_outputs():
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 3), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d((2, 2)), torch.nn.Flatten(), torch.nn.Linear(64, 32),
        torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(32, 10))
    mine = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
        nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))
    ref.train()(torch.randn(4, 3, 16, 16))  # non-trivial running statistics
    ref.eval(), mine.eval()
    assert mine.load_state_dict(torch_state(ref)) == ([], [])
    x = np.random.default_rng(2).standard_normal((3, 3, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(mine(tg.Tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_default_init_follows_pytorch_bounds_and_manual_seed():
    tg.manual_seed(3)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)  # U(-b, b) has std b/sqrt(3)
    tg.manual_seed(3)
    again = nn.Conv2d(16, 32, 3)
    np.testing.assert_array_equal(again.weight.numpy(), w)
    lin = nn.Linear(400, 50)
    assert np.abs(lin.weight.numpy()).max() <= 1 / 20 and lin.weight.numpy().std() > 0.02


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Conv2d(3, 0, 3), "out_channels must be >= 1"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), "kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), "padding must be >= 0"),
    (lambda: nn.Conv2d(3.0, 4, 3), "in_channels must be an int"),
    (lambda: nn.Linear(3, 2, bias="no"), "bias must be true or false"),
    (lambda: nn.Dropout(1.5), r"p must be in \[0, 1\]"),
    (lambda: nn.BatchNorm2d(4, eps=0), "eps must be a positive number"),
    (lambda: nn.MaxPool2d(0), "kernel_size must be >= 1"),
    (lambda: nn.Softmax(dim="1"), "dim must be an int"),
    (lambda: nn.Sequential(nn.ReLU(), "relu"), "not a Module"),
])
def test_bad_constructor_arguments_are_named(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_batch_norm_rejects_the_wrong_layout():
    with pytest.raises(ValueError, match="BatchNorm2d: expected a 4-D"):
        nn.BatchNorm2d(3)(tg.zeros(2, 3))


def test_sequential_indexing_and_append():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    seq.append(nn.Sigmoid())
    assert len(seq) == 3 and isinstance(seq[-1], nn.Sigmoid)
    assert [type(m).__name__ for m in seq[1:]] == ["Tanh", "Sigmoid"]
    with pytest.raises(IndexError):
        seq[5]


@settings(max_examples=10)
@given(conv_geometries(max_batch=2, max_channels=4, max_size=6), st.booleans())
def test_conv_layer_gradients_in_float64(g, bias):
    layer = nn.Conv2d(g.in_channels, g.out_channels, g.kernel, g.stride, g.padding, g.dilation,
                      g.groups, bias=bias).double()
    x = np.random.default_rng(0).standard_normal(g.input_shape)
    gradcheck(layer, [x])  # input gradient through the layer
    layer(tg.Tensor(x, dtype=np.float64)).sum().backward()

    def with_weight(w):
        return tg.nn.functional.conv2d(tg.Tensor(x, dtype=np.float64), w, layer.bias, g.stride,
                                       g.padding, g.dilation, g.groups)
    gradcheck(with_weight, [layer.weight.numpy()])


def test_config_of_each_builtin_layer_survives_json():
    from tinygrad_cnn.layers import from_config, to_config
    for ours, _, shape in PAIRS:
        layer = ours()
        cfg = to_config(layer)
        rebuilt = from_config(json.loads(json.dumps(cfg)))
        assert type(rebuilt) is type(layer) and to_config(rebuilt) == cfg
        assert repr(rebuilt) == repr(layer)
