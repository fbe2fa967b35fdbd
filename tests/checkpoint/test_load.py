"""load_checkpoint / read_checkpoint: round trips (weights, logits, optimizer and schedule
state, metadata) and the one-line errors for checkpoints that cannot be used."""
from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pytest
from .ckpt_helpers import INPUT, batch, reseal, small_cnn, train_steps

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.checkpoint import (CheckpointError, load_checkpoint, read_checkpoint,
                                     save_checkpoint)
from tinygrad_cnn.layers import to_config
from tinygrad_cnn.optim import SGD, Adam
from tinygrad_cnn.optim.lr_scheduler import StepLR


def assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].shape == b[key].shape, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_round_trip_weights_and_logits(tmp_path, trained):
    model, _, _ = trained
    path = save_checkpoint(tmp_path / "m.h5", model)
    ckpt = load_checkpoint(path)
    assert_same_state(model.state_dict(), ckpt.model.state_dict())
    assert int(ckpt.model.state_dict()["1.num_batches_tracked"]) == 2
    assert ckpt.model.training  # as from_config builds it; eval() is the caller's choice
    x, _ = batch(9)
    np.testing.assert_array_equal(model.eval()(x).numpy(), ckpt.model.eval()(x).numpy())
    assert ckpt.format_version == 2 and ckpt.framework_version == tg.__version__
    assert ckpt.path == path and ckpt.config["type"] == "Sequential"


def test_float64_model_stays_float64(tmp_path):
    tg.manual_seed(3)
    model = small_cnn().double()
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "m.h5", model))
    assert ckpt.model.state_dict()["0.weight"].dtype == np.float64
    assert_same_state(model.state_dict(), ckpt.model.state_dict())
    x = tg.Tensor(np.random.default_rng(0).standard_normal(INPUT), dtype=np.float64)
    np.testing.assert_array_equal(model.eval()(x).numpy(), ckpt.model.eval()(x).numpy())


def test_resume_continues_exactly(tmp_path, trained):
    """Optimizer + schedule state round trip: two more steps after loading give the same
    weights as two more steps without saving."""
    model, opt, sched = trained
    path = save_checkpoint(tmp_path / "m.h5", model, optimizer=opt, scheduler=sched)
    ckpt = load_checkpoint(path)
    # PyTorch's order: build both, then load both (building a schedule sets the lr)
    opt2 = Adam(ckpt.model.parameters(), lr=1.0)
    sched2 = StepLR(opt2, step_size=1, gamma=0.5)
    opt2.load_state_dict(ckpt.optimizer_state)
    sched2.load_state_dict(ckpt.scheduler_state)
    assert ckpt.optimizer_class == "Adam" and ckpt.scheduler_class == "StepLR"
    assert ckpt.scheduler_state == sched.state_dict()
    assert sorted(ckpt.optimizer_state["state"]) == sorted(opt.state_dict()["state"])
    for (m, o, s) in ((model, opt, sched), (ckpt.model, opt2, sched2)):
        train_steps(m, o, 2, seed=5)
        s.step()
    assert_same_state(model.state_dict(), ckpt.model.state_dict())
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_sgd_momentum_state_round_trip(tmp_path, sgd_trained):
    model, opt = sgd_trained
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "m.h5", model, optimizer=opt))
    saved, loaded = opt.state_dict(), ckpt.optimizer_state
    assert loaded["param_groups"] == saved["param_groups"]
    assert list(loaded["state"]) == list(saved["state"])  # int keys, same order
    for idx, entry in saved["state"].items():
        np.testing.assert_array_equal(loaded["state"][idx]["momentum_buffer"],
                                      entry["momentum_buffer"])
    opt2 = SGD(ckpt.model.parameters(), lr=0.5)
    opt2.load_state_dict(loaded)
    train_steps(model, opt, 1, seed=3)
    train_steps(ckpt.model, opt2, 1, seed=3)
    assert_same_state(model.state_dict(), ckpt.model.state_dict())


def test_metadata_round_trip(tmp_path):
    legacy = np.random.RandomState(4)
    legacy.standard_normal(3)
    pcg = np.random.default_rng(7)
    pcg.random(5)
    tg.manual_seed(11)
    framework_state = tg.get_rng_state()
    expected = tg.randn(3).numpy()
    metadata = {
        "epoch": 12, "seed": 0, "dataset": "shapes", "classes": ["circle", "square", "ünï"],
        "input_shape": (3, 32, 32), "mean": np.array([0.5, 0.4, 0.3], np.float32),
        "std": [0.2, 0.2, 0.2], "best": None, "augment": True,
        "history": {"loss": [2.3, 1.0, float("nan")], "acc": [0.1, 0.5, 0.9]},
        "rng": {"numpy": pcg.bit_generator.state, "framework": framework_state,
                "mt": np.random.MT19937(5).state, "legacy": legacy.get_state()},
        "scalars": {"f32": np.float32(1.5), "i64": np.int64(-3), "b": np.bool_(False)},
        "arrays": {"u8": np.arange(4, dtype=np.uint8), "zero_d": np.array(2.5),
                   "bool": np.array([True, False]), "empty": np.zeros((0, 3))},
        7: "int key",
    }
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(1, 1)),
                                           metadata=metadata))
    meta = ckpt.metadata
    assert meta["epoch"] == 12 and meta["classes"] == ["circle", "square", "ünï"]
    assert meta["input_shape"] == [3, 32, 32]  # tuples come back as lists
    assert meta["mean"].dtype == np.float32
    np.testing.assert_array_equal(meta["mean"], metadata["mean"])
    assert meta["best"] is None and meta["augment"] is True
    assert meta["history"]["loss"][:2] == [2.3, 1.0] and math.isnan(meta["history"]["loss"][2])
    assert meta["scalars"] == {"f32": 1.5, "i64": -3, "b": False}
    for key, arr in metadata["arrays"].items():
        assert meta["arrays"][key].dtype == arr.dtype and meta["arrays"][key].shape == arr.shape
        np.testing.assert_array_equal(meta["arrays"][key], arr)
    assert meta["7"] == "int key"
    # every random state restores its generator exactly
    rng = np.random.default_rng()
    rng.bit_generator.state = meta["rng"]["numpy"]
    assert rng.random(3).tolist() == pcg.random(3).tolist()
    mt = np.random.MT19937()
    mt.state = meta["rng"]["mt"]
    assert np.random.Generator(mt).random() == np.random.Generator(np.random.MT19937(5)).random()
    legacy2 = np.random.RandomState()
    legacy2.set_state(tuple(meta["rng"]["legacy"]))
    assert legacy2.standard_normal(4).tolist() == legacy.standard_normal(4).tolist()
    tg.set_rng_state(meta["rng"]["framework"])
    np.testing.assert_array_equal(tg.randn(3).numpy(), expected)


def test_read_checkpoint_builds_nothing(tmp_path, trained):
    model, opt, sched = trained
    path = save_checkpoint(tmp_path / "m.h5", model, optimizer=opt, scheduler=sched,
                           metadata={"epoch": 2})
    data = read_checkpoint(path)
    assert_same_state(model.state_dict(), data.state)
    assert data.config == json.loads(json.dumps(to_config(model)))
    assert data.plugins["Linear"]["version"] == tg.__version__
    assert data.metadata == {"epoch": 2}
    assert data.optimizer_state["param_groups"] == opt.state_dict()["param_groups"]
    np.testing.assert_array_equal(data.optimizer_state["state"][0]["exp_avg"],
                                  opt.state_dict()["state"][0]["exp_avg"])
    assert data.scheduler_state == sched.state_dict()
    assert (data.format_version, data.optimizer_class) == (2, "Adam")


def test_load_into_given_model(tmp_path, trained):
    model, _, _ = trained
    path = save_checkpoint(tmp_path / "m.h5", model)
    target = small_cnn()
    ckpt = load_checkpoint(path, model=target)
    assert ckpt.model is target
    assert_same_state(model.state_dict(), target.state_dict())


@pytest.mark.parametrize("other, message", [
    (lambda: small_cnn(width=6), r"shape \(file vs model\) 0\.weight \(4, 3, 3, 3\) vs "
                                 r"\(6, 3, 3, 3\), 0\.bias \(4,\) vs \(6,\), 1\.weight"),
    (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Flatten(), nn.Linear(64, 5)),
     r"missing 4\.weight, 4\.bias; unexpected 1\.weight, 1\.bias, 1\.running_mean and 4 more"),
])
def test_another_architecture(tmp_path, trained, other, message):
    model, _, _ = trained
    path = save_checkpoint(tmp_path / "m.h5", model)
    target = other()
    before = target.state_dict()
    with pytest.raises(CheckpointError, match="holds another architecture than the given "
                                              "model: " + message) as info:
        load_checkpoint(path, model=target)
    assert "\n" not in str(info.value) and "load it with the model" in str(info.value)
    assert_same_state(before, target.state_dict())  # nothing was loaded


def test_config_and_parameters_disagree(tmp_path, trained):
    model, _, _ = trained
    path = save_checkpoint(tmp_path / "m.h5", model)
    with h5py.File(path, "r+") as f:
        config = json.loads(f["model/config"][()])
        config["layers"][5]["args"]["out_features"] = 7
        del f["model/config"]
        f["model/config"] = json.dumps(config)
        reseal(f)
    with pytest.raises(CheckpointError, match=r"another architecture than the model built "
                                              r"from its configuration: shape .*5\.weight"):
        load_checkpoint(path)


def test_optimizer_state_of_another_architecture(tmp_path, trained):
    model, opt, _ = trained
    path = save_checkpoint(tmp_path / "m.h5", model, optimizer=opt)
    with h5py.File(path, "r+") as f:
        del f["optimizer/arrays/state.0.exp_avg"]
        f["optimizer/arrays/state.0.exp_avg"] = np.zeros((9, 9, 9), np.float32)
        reseal(f)
    with pytest.raises(CheckpointError, match=r"optimizer\.state\.0\.exp_avg has shape "
                                              r"\(9, 9, 9\), which no parameter"):
        load_checkpoint(path)


def test_missing_plugin_names_the_distribution(tmp_path, fake_plugin):
    from tgcnn_fake_sobel import Sobel

    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), Sobel(2), nn.Flatten())
    path = save_checkpoint(tmp_path / "m.h5", model)
    assert read_checkpoint(path).plugins["Sobel"] == {"distribution": "tgcnn-sobel",
                                                      "version": "1.0"}
    x = tg.Tensor(np.random.default_rng(0).standard_normal((1, 1, 5, 5)).astype(np.float32))
    np.testing.assert_array_equal(load_checkpoint(path).model(x).numpy(), model(x).numpy())
    fake_plugin()  # uninstall
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "needs layer type 'Sobel', which no installed plugin provides; the file records " \
           "it as coming from the distribution 'tgcnn-sobel', version '1.0'" in message
    assert "pip" not in message
    # read_checkpoint needs no plugin
    assert read_checkpoint(path).config["layers"][1]["type"] == "Sobel"


def test_unknown_layer_without_plugin_record(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.ReLU()))
    with h5py.File(path, "r+") as f:
        del f["model/config"], f["model/plugins"]
        f["model/config"] = json.dumps({"type": "Sequential", "layers": [{"type": "Sigmoidd"}]})
        reseal(f)
    with pytest.raises(CheckpointError, match="needs layer type 'Sigmoidd', which no installed "
                                              "plugin provides .*did you mean"):
        load_checkpoint(path)


def test_bad_layer_arguments(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.ReLU()))
    with h5py.File(path, "r+") as f:
        del f["model/config"]
        f["model/config"] = json.dumps({"type": "Linear", "args": {"in_feature": 2}})
        reseal(f)
    with pytest.raises(CheckpointError, match="its model configuration cannot be built .*"
                                              "in_feature.*; the file may be damaged"):
        load_checkpoint(path)


def test_bad_arguments_name_plugin_version_differences(tmp_path):
    path = save_checkpoint(tmp_path / "m.h5", nn.Sequential(nn.Linear(2, 2)))
    with h5py.File(path, "r+") as f:
        config = json.loads(f["model/config"][()])
        config["layers"][0]["args"]["in_features"] = "two"
        plugins = json.loads(f["model/plugins"][()])
        plugins["Linear"]["version"] = "0.0.1"
        del f["model/config"], f["model/plugins"]
        f["model/config"], f["model/plugins"] = json.dumps(config), json.dumps(plugins)
        reseal(f)
    with pytest.raises(CheckpointError, match=r"cannot be built .*; Linear was saved with "
                                              rf"tinygrad-cnn.* 0\.0\.1, installed "
                                              rf"{tg.__version__}$"):
        load_checkpoint(path)


def test_checkpoint_errors_are_value_errors():
    assert issubclass(CheckpointError, ValueError)
