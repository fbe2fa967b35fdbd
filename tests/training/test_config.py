"""TrainConfig validation, schedule parsing and the optimizer/schedule builders."""
from __future__ import annotations

import pytest

from tinygrad_cnn import nn, optim
from tinygrad_cnn.training import (OptionError, TrainConfig, build_optimizer, build_scheduler,
                                   parse_schedule)
from tinygrad_cnn.training.config import builder_kwargs, is_model_file


@pytest.mark.parametrize("field,value", [
    ("epochs", 0), ("epochs", -1), ("batch_size", 0), ("lr", 0.0), ("lr", -0.1),
    ("lr", float("nan")), ("weight_decay", -1.0), ("momentum", 1.0), ("val_split", 1.0),
    ("val_split", -0.1), ("width", 0.0), ("limit", 0), ("optimizer", "rmsprop"),
    ("device", "tpu"), ("seed", -3), ("schedule", "linear"), ("model", " "), ("out", ""),
])
def test_bad_values_name_the_option(field, value):
    with pytest.raises(OptionError) as info:
        TrainConfig(**{field: value}).validate()
    assert info.value.option == field and "\n" not in str(info.value)


def test_defaults_are_valid_and_round_trip():
    cfg = TrainConfig().validate()
    assert TrainConfig.from_dict({**cfg.to_dict(), "from_the_future": 1}) == cfg


@pytest.mark.parametrize("spec,expected", [
    ("none", ("none", {})), ("cosine", ("cosine", {})), ("step:5", ("step", {"step_size": 5, "gamma": 0.1})),
    ("STEP:2:0.5", ("step", {"step_size": 2, "gamma": 0.5})),
    ("warmup-cosine", ("warmup-cosine", {"warmup_epochs": 1})),
    ("warmup_cosine:3", ("warmup-cosine", {"warmup_epochs": 3})),
])
def test_parse_schedule(spec, expected):
    assert parse_schedule(spec, epochs=9) == expected


@pytest.mark.parametrize("spec", ["cosine:3", "step:0", "step:2:1.5", "step:x", "warmup:-1",
                                  "exp"])
def test_parse_schedule_rejects(spec):
    with pytest.raises(OptionError, match="schedule"):
        parse_schedule(spec)


def _opt():
    return optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)


def test_build_scheduler_lrs():
    def lrs(spec, epochs=4):
        opt = _opt()
        sched = build_scheduler(spec, opt, epochs)
        out = []
        for _ in range(epochs):
            out.append(opt.param_groups[0]["lr"])
            if sched is not None:
                sched.step()
        return out

    assert lrs("none") == [0.1] * 4
    assert lrs("step:2:0.5") == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert lrs("cosine") == pytest.approx([0.1, 0.0853553, 0.05, 0.0146447], rel=1e-5)
    warm = lrs("warmup-cosine:1")
    assert warm[0] == pytest.approx(0.01) and warm[1] == pytest.approx(0.1)
    assert lrs("warmup-cosine:5", epochs=2)[1] == pytest.approx(0.1)  # warm-up shortened


def test_build_optimizer_kinds():
    params = list(nn.Linear(2, 2).parameters())
    sgd = build_optimizer("SGD", params, 0.1, momentum=0.9, weight_decay=1e-4)
    assert isinstance(sgd, optim.SGD) and sgd.param_groups[0]["nesterov"]
    assert not build_optimizer("sgd", params, 0.1, momentum=0.0).param_groups[0]["nesterov"]
    adam = build_optimizer("adam", params, 1e-3, momentum=0.8)
    assert type(adam) is optim.Adam and tuple(adam.param_groups[0]["betas"]) == (0.8, 0.999)
    assert type(build_optimizer("adamw", params, 1e-3)) is optim.AdamW
    with pytest.raises(OptionError):
        build_optimizer("lbfgs", params, 0.1)


def test_model_names_versus_files(tmp_path):
    assert is_model_file("net.json") and is_model_file("a/b") and not is_model_file("vgg11")
    f = tmp_path / "plain"
    f.write_text("[]")
    assert is_model_file(str(f))


def test_builder_kwargs_filters_and_requires():
    def builder(num_classes=10, width=1.0):
        return None

    assert builder_kwargs(builder, {"num_classes": 3, "head": "small"}) == {"num_classes": 3}
    assert builder_kwargs(lambda **kw: None, {"a": 1}) == {"a": 1}
    with pytest.raises(OptionError, match="head"):
        builder_kwargs(builder, {"head": "small"}, required=["head"])
