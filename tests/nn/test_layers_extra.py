"""The newer nn modules against torch.nn: outputs, gradients, parameters and state-dict names."""
import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn

rng = np.random.default_rng(3)
X = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)

MODULES = [
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()), (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5)),
    (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: nn.Hardswish(), lambda: torch.nn.Hardswish()),
    (lambda: nn.Softplus(2.0, 1.0), lambda: torch.nn.Softplus(2.0, 1.0)),
    (lambda: nn.LayerNorm((5, 6)), lambda: torch.nn.LayerNorm((5, 6))),
    (lambda: nn.LayerNorm(6, elementwise_affine=False),
     lambda: torch.nn.LayerNorm(6, elementwise_affine=False)),
    (lambda: nn.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4)),
    (lambda: nn.Upsample(scale_factor=2), lambda: torch.nn.Upsample(scale_factor=2)),
    (lambda: nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True),
     lambda: torch.nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)),
]


@pytest.mark.parametrize("k", range(len(MODULES)))
def test_module_matches_torch(k):
    ours, theirs = MODULES[k][0](), MODULES[k][1]()
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for p in theirs.parameters():                  # non-trivial affine parameters
        with torch.no_grad():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x, t = tg.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out, ref = ours(x), theirs(t)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    out.square().sum().backward()
    ref.square().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (name, p), (_, q) in zip(sorted(ours.named_parameters()), sorted(theirs.named_parameters())):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert type(ours)(**ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("make, target", [
    (lambda: (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()), np.array([0, 3, 1])),
    (lambda: (nn.CrossEntropyLoss(weight=tg.Tensor([1.0, 2.0, 0.5, 1.0]), ignore_index=1,
                                  label_smoothing=0.1),
              torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0]), ignore_index=1,
                                        label_smoothing=0.1)), np.array([0, 3, 1])),
    (lambda: (nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum")),
     np.array([2, 2, 0])),
    (lambda: (nn.MSELoss(), torch.nn.MSELoss()), rng.standard_normal((3, 4))),
    (lambda: (nn.L1Loss(reduction="none"), torch.nn.L1Loss(reduction="none")),
     rng.standard_normal((3, 4))),
    (lambda: (nn.BCEWithLogitsLoss(pos_weight=tg.Tensor([1.0, 2.0, 3.0, 0.5])),
              torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0, 0.5]))),
     (rng.random((3, 4)) > 0.5).astype(float)),
])
def test_loss_modules_match_torch(make, target):
    ours, theirs = make()
    logits = rng.standard_normal((3, 4)).astype(np.float32)
    tgt_o = tg.tensor(target if target.dtype == np.int64 else target.astype(np.float32))
    tgt_t = torch.tensor(target if target.dtype == np.int64 else target.astype(np.float32))
    x, t = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out, ref = ours(x, tgt_o), theirs(t, tgt_t)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_module_list_and_dict_register_their_modules_like_torch():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.Linear(3, 2)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x).relu()
            return self.heads["a"](x), self.heads["b"](x)

    net = Net()
    assert sorted(net.state_dict()) == ["blocks.0.bias", "blocks.0.weight", "blocks.1.bias",
                                        "blocks.1.weight", "heads.a.bias", "heads.a.weight",
                                        "heads.b.bias", "heads.b.weight"]
    a, b = net(tg.randn(5, 3))
    (a.sum() + b.sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.blocks.append(nn.ReLU())
    assert len(net.blocks) == 3 and isinstance(net.blocks[-1], nn.ReLU)
    assert "a" in net.heads and list(net.heads.keys()) == ["a", "b"]
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got int"):
        net.blocks.append(3)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.GroupNorm(3, 4), "GroupNorm: num_channels 4 must be divisible by num_groups 3"),
    (lambda: nn.GELU("fast"), "GELU: approximate must be"),
    (lambda: nn.Upsample(), "Upsample: give exactly one of size and scale_factor"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), "CrossEntropyLoss: reduction must be"),
    (lambda: nn.Softplus(beta=0), "Softplus: beta must be positive"),
])
def test_bad_constructor_arguments_are_one_clear_error(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
