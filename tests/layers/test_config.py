"""Layer configurations: JSON round trips of whole models and one-line errors that say where."""
import json

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.layers import (ConfigError, LayerNotFoundError, PluginError, from_config,
                                 to_config)
from tinygrad_cnn.models import vgg11_bn


def test_model_config_round_trip_through_json_rebuilds_the_same_network():
    tg.manual_seed(0)
    model = vgg11_bn(in_channels=1, num_classes=10, input_size=28, width=0.125, head="small")
    cfg = to_config(model)
    text = json.dumps(cfg)
    assert "features" in text and "classifier" in text
    rebuilt = from_config(json.loads(text))
    assert to_config(rebuilt) == cfg and repr(rebuilt) == repr(model)
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    rebuilt.load_state_dict(model.state_dict())
    model.eval(), rebuilt.eval()
    x = tg.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(rebuilt(x).numpy(), model(x).numpy())


def test_container_children_keep_their_names():
    from collections import OrderedDict
    model = nn.Sequential(OrderedDict(body=nn.Sequential(nn.ReLU()), head=nn.Linear(2, 1)))
    cfg = to_config(model)
    assert [c["name"] for c in cfg["layers"]] == ["body", "head"]
    assert "name" not in cfg["layers"][0]["layers"][0]
    assert [n for n, _ in from_config(cfg).named_parameters()] == ["head.weight", "head.bias"]


@pytest.mark.parametrize("config, error, message", [
    ([1, 2], ConfigError, "model: a layer configuration must be an object"),
    ({"args": {}}, ConfigError, 'model: missing layer "type"'),
    ({"type": "ReLU", "argz": {}}, ConfigError, r"model: unknown keys \['argz'\]"),
    ({"type": "ReLU", "args": [1]}, ConfigError, r'model \(ReLU\): "args" must be an object'),
    ({"type": "Sequential", "layers": [{"type": "ReLU"}, {"type": "Conv2D"}]},
     LayerNotFoundError, r"model.layers\[1\]: unknown layer 'Conv2D'; did you mean Conv2d"),
    ({"type": "Sequential", "layers": [{"type": "Linear", "args": {"in_features": 2}}]},
     ConfigError, r"model.layers\[0\] \(Linear\): bad args: missing a required argument: "
                  r"'out_features'; Linear takes \(in_features, out_features, bias=True\)"),
    ({"type": "Linear", "args": {"in_features": 2, "out_features": 3, "bias": 1, "x": 0}},
     ConfigError, "unknown argument 'x'"),
    ({"type": "Conv2d", "args": {"in_channels": 2, "out_channels": 3, "kernel_size": 0}},
     ConfigError, r"model \(Conv2d\): bad args .*kernel_size must be >= 1"),
    ({"type": "ReLU", "layers": []}, ConfigError, "ReLU is not a container"),
    ({"type": "Sequential", "layers": {"a": 1}}, ConfigError, '"layers" must be a list'),
    ({"type": "Sequential", "layers": [{"name": "a.b", "type": "ReLU"}]}, ConfigError,
     "without dots"),
    ({"type": "Sequential", "args": {"p": 1}, "layers": []}, ConfigError,
     "unknown argument 'p'"),
])
def test_bad_configurations_give_one_line_errors(config, error, message):
    with pytest.raises(error, match=message) as info:
        from_config(config)
    assert "\n" not in str(info.value)


def test_to_config_rejects_unregistered_classes_and_bad_get_config(monkeypatch):
    class Unregistered(nn.Identity):
        pass

    with pytest.raises(PluginError, match="Unregistered .* is not registered"):
        to_config(Unregistered())
    with pytest.raises(TypeError, match="expected a Module"):
        to_config("ReLU")
    monkeypatch.setattr(nn.Identity, "get_config", lambda self: {"fn": print})
    with pytest.raises(ConfigError, match="Identity.get_config\\(\\) returned arguments that are "
                                          "not JSON-serialisable"):
        to_config(nn.Identity())
    monkeypatch.setattr(nn.Identity, "get_config", nn.Module.get_config)
    with pytest.raises(ConfigError, match="Identity does not describe itself as configuration"):
        to_config(nn.Identity())
