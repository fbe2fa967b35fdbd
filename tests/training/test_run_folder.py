"""Run folders: fresh numbered folders, file names, the overwrite rule, metrics.csv."""
from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from tinygrad_cnn.training import OptionError
from tinygrad_cnn.training.history import KEYS, epoch_record
from tinygrad_cnn.training.run_folder import (copy_checkpoint, new_run_folder, paths_for_checkpoint,
                                              paths_for_file, plan_paths, write_metrics,
                                              write_run_files)


def test_new_run_folders_never_reuse_a_number(tmp_path):
    names = [new_run_folder(tmp_path, "shapes").name for _ in range(3)]
    assert names == ["shapes-1", "shapes-2", "shapes-3"]
    (tmp_path / "shapes-7").mkdir()
    (tmp_path / "shapes-x").mkdir()
    assert new_run_folder(tmp_path, "shapes").name == "shapes-8"
    assert new_run_folder(tmp_path, "my run/../x").name == "my-run-..-x-1"  # no path escape
    assert (tmp_path / "my-run-..-x-1").is_dir()


def test_plan_paths_default_folder_and_out_file(tmp_path):
    p = plan_paths(None, str(tmp_path / "runs"), None, "cifar10:/data", False)
    assert p.folder == tmp_path / "runs" / "cifar10-1" and p.folder.is_dir()
    assert [q.name for q in (p.last, p.best, p.metrics, p.curves, p.config, p.resume)] == \
        ["last.h5", "best.h5", "metrics.csv", "curves.png", "config.json", "resume.txt"]
    dry = plan_paths(None, str(tmp_path / "dry"), "exp", "shapes", False, create=False)
    assert not (tmp_path / "dry" / "exp-1").exists() and dry.folder.name == "exp-N"
    f = plan_paths(str(tmp_path / "sub" / "m.h5"), "unused", None, "shapes", False)
    assert f.folder is None and f.best.name == "m.best.h5" and (tmp_path / "sub").is_dir()


def test_an_existing_checkpoint_needs_overwrite(tmp_path):
    (tmp_path / "m.h5").write_bytes(b"old")
    with pytest.raises(OptionError, match="already exists; pass `overwrite=True`"):
        plan_paths(str(tmp_path / "m.h5"), "", None, "shapes", False)
    (tmp_path / "m.h5").unlink()
    (tmp_path / "m.best.h5").write_bytes(b"old")
    with pytest.raises(OptionError, match="m.best.h5 already exists"):
        plan_paths(str(tmp_path / "m.h5"), "", None, "shapes", False)
    assert plan_paths(str(tmp_path / "m.h5"), "", None, "shapes", True).last.name == "m.h5"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_out_folder_is_caught_before_training(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(OptionError, match="cannot write in"):
            plan_paths(str(ro / "m.h5"), "", None, "shapes", False)
    finally:
        ro.chmod(stat.S_IRWXU)


def test_a_file_where_the_out_folder_should_be_is_caught(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OptionError, match="cannot write in"):
        plan_paths(str(tmp_path / "file" / "m.h5"), "", None, "shapes", False)


def test_checkpoints_of_a_run_folder_continue_in_it():
    assert paths_for_checkpoint("r/shapes-1/best.h5").last.as_posix() == "r/shapes-1/last.h5"
    assert paths_for_checkpoint("r/m.h5") == paths_for_file("r/m.h5")


def test_metrics_csv_has_one_row_per_epoch(tmp_path):
    h = [epoch_record(1, 0.5, 0.8, 0.6, 0.7, 0.1, 1.0, 10.0),
         epoch_record(2, 0.4, 0.9, None, None, 0.05, 1.0, 10.0)]
    write_metrics(h, tmp_path / "metrics.csv")
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert list(rows[0]) == list(KEYS) and len(rows) == 2
    assert float(rows[0]["val_acc"]) == 0.7 and rows[1]["val_loss"] == ""


def test_run_files_config_and_resume_command(tmp_path):
    p = plan_paths(None, str(tmp_path), "a b", "shapes", False)
    write_run_files(p, {"epochs": 3, "out": "x", "overwrite": True, "lr": 0.1})
    assert json.loads(p.config.read_text()) == {"epochs": 3, "lr": 0.1}
    assert p.resume.read_text() == f"tgcnn train --resume {p.last}\n"
    p.last.write_bytes(b"ckpt")
    copy_checkpoint(p.last, p.best)
    assert p.best.read_bytes() == b"ckpt" and sorted(os.listdir(p.folder)) == \
        ["best.h5", "config.json", "last.h5", "resume.txt"]
