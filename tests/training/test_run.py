"""Whole runs from TrainConfig (what `tgcnn train` calls), resume rules, checkpoint inference."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tinygrad_cnn.data import DataError, generate_shapes
from tinygrad_cnn.training import (OptionError, TrainConfig, evaluate_checkpoint, load_model,
                                   predict_files, prepare_data, resume, save_activation_grid,
                                   save_filter_grid, train)
from tinygrad_cnn.training.checks import check_device, check_output

TINY = dict(epochs=1, limit=40, width=0.125, batch_size=16, val_split=0.25)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "m.h5"
    return train(TrainConfig(out=str(out), **TINY))


def test_train_writes_checkpoint_curves_and_reports(tiny_run):
    r = tiny_run
    assert r.checkpoint.exists() and r.curves.exists()
    assert len(r.history) == 1 and r.best_epoch == 1
    assert r.test is not None and r.test.num_examples == 40
    assert r.info.classes[0] == "square" and r.info.input_shape == [3, 32, 32]


def test_checkpoint_alone_gives_model_and_preprocessing(tiny_run, tmp_path):
    loaded = load_model(tiny_run.checkpoint)
    assert loaded.train_config.limit == 40 and loaded.info.mean == tiny_run.info.mean
    again = evaluate_checkpoint(loaded)  # the same test split as the run reported
    assert again.accuracy == tiny_run.test.accuracy
    assert again.loss == pytest.approx(tiny_run.test.loss, rel=1e-9)
    x, _ = generate_shapes(2, seed=3)
    png, npy = tmp_path / "a.png", tmp_path / "b.npy"
    Image.fromarray(x[0].transpose(1, 2, 0)).save(png)
    np.save(npy, x[0].astype(np.float32))  # NPY: already in training units (0..255)
    (f1, top1), (f2, top2) = predict_files(loaded, [png, npy], k=3)
    assert [p.index for p in top1] == [p.index for p in top2]
    assert top1[0].probability == pytest.approx(top2[0].probability, rel=1e-5)
    path, name, maps = save_activation_grid(loaded, png, None, tmp_path / "maps.png")
    assert name == "features.0" and path.exists() and maps.maps.shape == (8, 32, 32)
    path, name, shape = save_filter_grid(loaded, tmp_path / "f.png")
    assert shape == (8, 3, 3, 3) and path.exists()


def test_resume_continues_and_rejects_changes(tiny_run, tmp_path):
    with pytest.raises(OptionError) as info:
        resume(tiny_run.checkpoint, changes={"lr": 1.0})
    assert info.value.option == "lr" and "cannot change" in str(info.value)
    result = resume(tiny_run.checkpoint, epochs=2, out=tmp_path / "longer.h5")
    assert [r["epoch"] for r in result.history] == [1, 2] and result.resumed_from == 1
    assert result.checkpoint == tmp_path / "longer.h5"
    with pytest.raises(OptionError, match="already trained 2 epochs"):
        resume(result.checkpoint, epochs=1)


def test_prepare_data_limits_and_splits():
    d = prepare_data(TrainConfig(limit=40, val_split=0.25))
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (30, 10, 40)
    assert sorted(set(d.y_val.tolist())) == list(range(10))  # stratified
    with pytest.raises(DataError):
        prepare_data(TrainConfig(data="nosuchkind"))


def test_output_and_device_checks(tmp_path):
    assert check_output(tmp_path / "new" / "m.h5").parent.is_dir()  # folder created
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OptionError, match="cannot create the folder"):
        check_output(blocker / "m.h5")
    with pytest.raises(OptionError, match="is a folder"):
        check_output(tmp_path)
    assert check_device("cpu") == "cpu"


def test_model_file_that_does_not_fit_the_data(tmp_path):
    spec = [{"type": "Flatten"}, {"type": "Linear", "args": {"in_features": 10, "out_features": 10}}]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(spec))
    with pytest.raises(OptionError) as info:
        train(TrainConfig(model=str(f), out=str(tmp_path / "m.h5"), **TINY))
    assert info.value.option == "model" and "does not accept 3x32x32" in str(info.value)
    spec[1]["args"] = {"in_features": 3 * 32 * 32, "out_features": 4}
    f.write_text(json.dumps(spec))
    with pytest.raises(OptionError, match="10 classes"):
        train(TrainConfig(model=str(f), out=str(tmp_path / "m.h5"), **TINY))
    assert not (tmp_path / "m.h5").exists()
