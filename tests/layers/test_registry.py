"""Layer discovery through entry points: built-ins, good/broken/colliding fake plugins,
unknown names, strict mode and the source-checkout fallback."""
import json
import sys
import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.layers as layers
from tinygrad_cnn import models, nn
from tinygrad_cnn.layers import (LayerNotFoundError, PluginCollisionError, PluginError,
                                 PluginWarning, registry)

BUILTINS = {"Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear", "ReLU",
            "LeakyReLU", "Sigmoid", "Tanh", "Flatten", "Dropout", "BatchNorm2d", "BatchNorm1d",
            "Softmax", "LogSoftmax", "Identity", "Sequential"}

GOOD = '''
import numpy as np
from tinygrad_cnn.nn import Module, Parameter

class Scale(Module):
    def __init__(self, factor: float = 2.0):
        super().__init__()
        self.factor = float(factor)
        self.gain = Parameter(np.ones(1))

    def forward(self, x):
        return x * self.gain * self.factor

    def get_config(self):
        return {"factor": self.factor}
'''
GROUP = {"tinygrad_cnn.layers": {"Scale": "fake_scale_mod:Scale"}}


def test_builtin_layers_are_declared_as_entry_points():
    rows = {row.name: row for row in layers.available()}
    assert BUILTINS <= set(rows)
    conv = rows["Conv2d"]
    assert conv.value == "tinygrad_cnn.nn.layers.conv:Conv2d"
    assert conv.distribution.startswith("tinygrad-cnn") and conv.version == tg.__version__
    assert layers.get("Conv2d") is nn.Conv2d and layers.get("Sequential") is nn.Sequential
    assert layers.name_of(nn.BatchNorm2d) == "BatchNorm2d"
    assert {r.name for r in models.available_models()} >= {"vgg11", "vgg16_bn", "vgg19_bn"}


def test_good_plugin_is_listed_without_import_then_loaded_on_first_use(fake_dist):
    fake_dist("fake-scale", GROUP, {"fake_scale_mod": GOOD}, version="2.3")
    row = next(r for r in layers.available() if r.name == "Scale")
    assert (row.value, row.distribution, row.version, row.loaded, row.error) == \
        ("fake_scale_mod:Scale", "fake-scale", "2.3", False, None)
    assert "fake_scale_mod" not in sys.modules  # listing imported nothing
    scale = layers.get("Scale")
    assert "fake_scale_mod" in sys.modules and scale.__name__ == "Scale"
    assert next(r for r in layers.available() if r.name == "Scale").loaded
    model = nn.Sequential(nn.Linear(2, 2), scale(3.0))
    cfg = layers.to_config(model)
    assert cfg["layers"][1] == {"type": "Scale", "args": {"factor": 3.0}}
    rebuilt = layers.from_config(json.loads(json.dumps(cfg)))
    rebuilt.load_state_dict(model.state_dict())
    x = tg.randn(4, 2)
    np.testing.assert_array_equal(rebuilt(x).numpy(), model(x).numpy())


def test_broken_plugin_warns_records_and_leaves_other_layers_working(fake_dist):
    fake_dist("fake-broken", {"tinygrad_cnn.layers": {"Broken": "fake_broken_mod:Broken"}},
              {"fake_broken_mod": "import numpy\nraise ImportError('needs libfoo')\n"})
    fake_dist("fake-scale", GROUP, {"fake_scale_mod": GOOD})
    with pytest.warns(PluginWarning) as caught:
        loaded = layers.load_all()
    message = next(str(w.message) for w in caught if "'Broken'" in str(w.message))
    assert "'Broken'" in message and "fake-broken 1.0" in message
    assert "ImportError: needs libfoo" in message
    assert "Scale" in loaded and "Conv2d" in loaded and "Broken" not in loaded
    assert "needs libfoo" in layers.failures()["Broken"]
    row = next(r for r in layers.available() if r.name == "Broken")
    assert not row.loaded and "needs libfoo" in row.error
    with pytest.raises(PluginError, match="fake-broken 1.0 failed to import: ImportError"):
        layers.get("Broken")
    assert layers.get("Conv2d") is nn.Conv2d  # everything else keeps working
    model = layers.from_config({"type": "Sequential", "layers": [{"type": "Scale"}]})
    assert isinstance(model[0], layers.get("Scale"))


def test_available_with_load_records_failures(fake_dist):
    fake_dist("fake-broken", {"tinygrad_cnn.layers": {"Broken": "fake_broken_mod:Broken"}},
              {"fake_broken_mod": "1 / 0\n"})
    with pytest.warns(PluginWarning, match="ZeroDivisionError"):
        rows = layers.available(load=True)
    broken = next(r for r in rows if r.name == "Broken")
    assert "ZeroDivisionError" in broken.error
    assert all(r.loaded for r in rows if r.distribution.startswith("tinygrad-cnn"))


def test_strict_mode_turns_a_broken_plugin_into_an_error(fake_dist, monkeypatch):
    fake_dist("fake-broken", {"tinygrad_cnn.layers": {"Broken": "fake_broken_mod:Broken"}},
              {"fake_broken_mod": "raise RuntimeError('boom')\n"})
    with pytest.raises(PluginError, match=r"strict plugin mode \(`set_strict\(True\)` or "
                                          r"TGCNN_STRICT_PLUGINS=1\).*fake-broken 1.0.*boom"):
        layers.load_all(strict=True)
    with pytest.raises(PluginError, match="boom"):
        layers.get("Conv2d", strict=True)  # strict: any broken plugin is fatal
    layers.clear_cache()
    monkeypatch.setenv(registry.STRICT_ENV, "1")
    with pytest.raises(PluginError, match="RuntimeError: boom"):
        layers.get("Conv2d")
    monkeypatch.setenv(registry.STRICT_ENV, "0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert layers.get("Conv2d") is nn.Conv2d
    layers.set_strict(True)  # what the CLI's --strict-plugins does
    with pytest.raises(PluginError, match="boom"):
        layers.get("ReLU")


def test_entry_point_that_is_not_a_layer_class(fake_dist):
    fake_dist("fake-odd", {"tinygrad_cnn.layers": {"Odd": "fake_odd_mod:VALUE"}},
              {"fake_odd_mod": "VALUE = 3\n"})
    with pytest.raises(PluginError, match="'Odd'.*fake-odd 1.0 is unusable: expected a "
                                          "tinygrad_cnn.nn.Module subclass, got 3"):
        layers.get("Odd")


def test_name_collision_names_both_distributions(fake_dist):
    fake_dist("fake-one", GROUP, {"fake_scale_mod": GOOD})
    fake_dist("fake-two", {"tinygrad_cnn.layers": {"Scale": "fake_scale_mod:Scale",
                                                   "ReLU": "fake_scale_mod:Scale"}})
    with pytest.raises(PluginCollisionError) as info:
        layers.get("Scale")
    message = str(info.value)
    assert "fake-one 1.0" in message and "fake-two 1.0" in message and "\n" not in message
    with pytest.raises(PluginCollisionError) as info:
        layers.get("ReLU")  # shadowing a built-in is a collision too
    assert f"tinygrad-cnn {tg.__version__}" in str(info.value) and "fake-two" in str(info.value)
    assert set(layers.failures()) == {"Scale", "ReLU"}
    rows = [r for r in layers.available() if r.name == "Scale"]
    assert {r.distribution for r in rows} == {"fake-one", "fake-two"}
    assert all("registered by both" in r.error for r in rows)
    assert layers.get("Conv2d") is nn.Conv2d
    with pytest.warns(PluginWarning, match="registered by both"):
        layers.load_all()


def test_unknown_name_suggests_close_matches_and_plugins(fake_dist):
    fake_dist("fake-scale", GROUP, {"fake_scale_mod": GOOD})
    with pytest.raises(LayerNotFoundError) as info:
        layers.get("conv2D")
    message = str(info.value)
    assert "unknown layer 'conv2D'; did you mean Conv2d" in message
    assert "fake-scale 1.0" in message and f"tinygrad-cnn {tg.__version__}" in message
    with pytest.raises(LayerNotFoundError, match="did you mean Scale"):
        layers.get("Scal")
    with pytest.raises(LayerNotFoundError, match="known layers: .*Conv2d"):
        layers.get("Transformer")


def test_unregistered_layer_class_cannot_become_configuration():
    class Local(nn.Module):
        def forward(self, x):
            return x

        def get_config(self):
            return {}

    with pytest.raises(PluginError, match="Local .* is not registered in the entry-point group "
                                          "'tinygrad_cnn.layers'"):
        layers.to_config(nn.Sequential(Local()))


def test_model_builders_registered_by_a_plugin(fake_dist):
    source = GOOD + '''
from tinygrad_cnn.nn import Sequential, Linear

def tiny(width: int = 4):
    return Sequential(Linear(2, width), Scale())
'''
    fake_dist("fake-models", {"tinygrad_cnn.models": {"tiny": "fake_models_mod:tiny"},
                              "tinygrad_cnn.layers": {"Scale": "fake_models_mod:Scale"}},
              {"fake_models_mod": source})
    assert "fake_models_mod" not in sys.modules
    row = next(r for r in models.available_models() if r.name == "tiny")
    assert row.distribution == "fake-models"
    model = models.get_builder("tiny")(width=3)
    assert model.num_parameters() == 2 * 3 + 3 + 1
    with pytest.raises(models.ModelNotFoundError, match="did you mean tiny"):
        models.get_builder("tinny")


def test_source_checkout_reads_setup_cfg_when_not_installed(monkeypatch):
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [])
    reg = registry.EntryPointRegistry("tinygrad_cnn.layers", kind="layer")
    assert BUILTINS <= set(reg.names())
    row = next(r for r in reg.available() if r.name == "Linear")
    assert row.distribution == "tinygrad-cnn (source checkout)"
    assert reg.get("Linear") is nn.Linear
