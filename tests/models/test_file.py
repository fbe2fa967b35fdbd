"""Models from JSON/YAML files: accepted shapes and one-line errors naming the file."""
import json

import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn
from tinygrad_cnn.layers import ConfigError, LayerNotFoundError

LAYERS = [{"type": "Conv2d", "args": {"in_channels": 1, "out_channels": 4, "kernel_size": 3}},
          {"type": "ReLU"}, {"type": "MaxPool2d", "args": {"kernel_size": 2}},
          {"type": "Flatten"}, {"type": "Linear", "args": {"in_features": 4 * 13 * 13,
                                                             "out_features": 10}}]


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize("document", [LAYERS, {"layers": LAYERS},
                                      {"type": "Sequential", "layers": LAYERS}])
def test_json_file_of_layers(tmp_path, document):
    model = models.from_file(write(tmp_path, "m.json", document))
    assert isinstance(model, nn.Sequential) and isinstance(model[0], nn.Conv2d)
    assert model(tg.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert model.num_parameters() == 4 * 9 + 4 + 676 * 10 + 10


def test_builder_document(tmp_path):
    path = write(tmp_path, "vgg.json", {"builder": "vgg11", "args": {
        "in_channels": 1, "num_classes": 10, "input_size": 28, "width": 0.125, "head": "small"}})
    model = models.from_file(path)
    assert model.classifier[-1].out_features == 10 and model.features[0].in_channels == 1


def test_yaml_file(tmp_path):
    pytest.importorskip("yaml")
    text = "- type: Linear\n  args: {in_features: 3, out_features: 2}\n- type: Tanh\n"
    model = models.from_file(write(tmp_path, "m.yaml", text))
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh"]


@pytest.mark.parametrize("name, content, error, message", [
    ("bad.json", '[{"type": "ReLU"},\n {"type": }]', ConfigError,
     r"bad.json: invalid JSON at line 2 column 11"),
    ("typo.json", [{"type": "ReLU"}, {"type": "Linaer"}], LayerNotFoundError,
     r"typo.json.layers\[1\]: unknown layer 'Linaer'; did you mean Linear"),
    ("args.json", [{"type": "Linear", "args": {"in_features": 3, "out_feature": 2}}],
     ConfigError, r"args.json.layers\[0\] \(Linear\): bad args: unknown argument 'out_feature' "
                  r"\(did you mean 'out_features'\?\); Linear takes \(in_features, out_features"),
    ("value.json", [{"type": "Dropout", "args": {"p": 2}}], ConfigError,
     r"\(Dropout\): bad args \{\"p\": 2\}: Dropout: p must be in \[0, 1\]"),
    ("scalar.json", "3", ConfigError, "expected a list of layers or an object"),
    ("builder.json", {"builder": "vgg17"}, models.ModelNotFoundError,
     "builder.json: unknown model 'vgg17'; did you mean"),
    ("bargs.json", {"builder": "vgg11", "args": {"classes": 3}}, ConfigError,
     r"bargs.json \(builder vgg11\): bad args: unknown argument 'classes'.*; vgg11 takes "
     r"\(in_channels=3"),
    ("bval.json", {"builder": "vgg11", "args": {"head": "big"}}, ConfigError,
     "head must be one of"),
])
def test_errors_are_one_line_and_name_the_file(tmp_path, name, content, error, message):
    with pytest.raises(error, match=message) as info:
        models.from_file(write(tmp_path, name, content))
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the model file"):
        models.from_file(tmp_path / "nope.json")
