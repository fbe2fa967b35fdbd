"""``mpiexec -n N tgcnn train/eval`` end to end: one 'distributed' line, rank 0 alone prints
and writes, sharded evaluation prints exactly the single-process numbers, Ctrl-C saves and
resumes exactly, a different world size resumes with a warning."""
import json
import os
import shutil
import signal
import time

import numpy as np
import pytest

from .conftest import Job, requires_mpi, tgcnn

pytestmark = requires_mpi

TINY = ["--limit", "96", "--width", "0.125", "--batch-size", "16", "--val-split", "0.25"]


def _weights(path):
    from tinygrad_cnn.checkpoint import load_checkpoint

    return load_checkpoint(path).model.state_dict()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mpi_cli")
    r = tgcnn(2, "train", "--epochs", "2", *TINY, "--out", "m.h5", cwd=folder)
    return folder, r


def test_train_prints_once_and_rank0_writes(trained):
    folder, r = trained
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    dist_lines = [ln for ln in lines if ln.startswith("distributed:")]
    assert len(dist_lines) == 1 and dist_lines[0].startswith("distributed: 2 processes (MPI: ")
    assert sum(ln.startswith("epoch 1:") for ln in lines) == 1
    assert sum(ln.startswith("epoch 2:") for ln in lines) == 1
    assert sum(ln.startswith("test accuracy (best epoch") for ln in lines) == 1
    # one writer: rank 0's run files beside --out, nothing else (no second run folder)
    assert sorted(os.listdir(folder)) == ["m.best.h5", "m.config.json", "m.curves.png", "m.h5",
                                          "m.metrics.csv", "m.resume.txt"]
    assert r.stderr == ""


ONE_THREAD = {"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def single_eval(trained):
    folder, _ = trained
    table = tgcnn(0, "eval", "m.h5", "--batch-size", "16", cwd=folder)
    one = tgcnn(0, "eval", "m.h5", "--json", "--batch-size", "16", cwd=folder,
                extra_env=ONE_THREAD)
    assert table.returncode == 0 and one.returncode == 0, table.stderr + one.stderr
    return table.stdout, json.loads(one.stdout)


def test_eval_under_mpiexec_prints_the_single_process_table(trained, single_eval):
    folder, _ = trained
    many = tgcnn(2, "eval", "m.h5", "--batch-size", "16", cwd=folder)
    assert many.returncode == 0, many.stderr
    lines = many.stdout.splitlines()
    assert lines[0].startswith("distributed: 2 processes (MPI: ")
    assert lines[1:] == single_eval[0].splitlines()


@pytest.mark.parametrize("n", [2, 3])
def test_eval_under_mpiexec_is_bit_identical(trained, single_eval, n):
    """The JSON's full-precision figures equal one process's bit for bit when that process
    also runs one thread, as each rank does here (the CPU kernels are bit-identical for one
    thread count only); 3 ranks oversubscribe the 2 cores."""
    folder, _ = trained
    many = tgcnn(n, "eval", "m.h5", "--json", "--batch-size", "16", cwd=folder)
    assert many.returncode == 0, many.stderr
    assert many.stderr.startswith(f"distributed: {n} processes")  # stdout: the JSON alone
    assert json.loads(many.stdout) == single_eval[1]


def _wait_for(job, prefix, timeout=90):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = job.proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(prefix):
            return seen
    os.killpg(job.proc.pid, signal.SIGKILL)
    pytest.fail(f"no line starting with {prefix!r}: {''.join(seen)}")


def test_ctrl_c_saves_and_resumes_exactly(tmp_path):
    args = ["train", "--epochs", "4", *TINY]
    full = tgcnn(2, *args, "--out", "full.h5", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    with Job(2, [os.environ.get("PYTHON", __import__("sys").executable), "-m", "tinygrad_cnn",
                 *args, "--out", "cut.h5"], cwd=tmp_path) as job:
        _wait_for(job, "epoch 1:")
        os.killpg(job.proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        cut = job.wait(60)
    assert cut.returncode == 130, cut.stderr
    assert "Error" not in cut.stderr  # a deliberate Ctrl-C is not an error
    errors = [ln for ln in cut.stderr.splitlines() if ln.startswith("interrupted")]
    assert len(errors) == 1 and "resume with: tgcnn train --resume cut.h5" in errors[0]
    assert "Traceback" not in cut.stderr
    shutil.copy(tmp_path / "cut.h5", tmp_path / "cut1.h5")
    resumed = tgcnn(2, "train", "--resume", "cut.h5", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(tmp_path / "full.h5"), _weights(tmp_path / "cut.h5")
    assert list(a) == list(b)
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k
    # another world size: resumes (same global batch) and says so in one warning line
    other = tgcnn(0, "train", "--resume", "cut1.h5", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert "warning: the run was saved by 2 process(es) and resumes with 1" in other.stderr
    assert "test accuracy (" in other.stdout
    from tinygrad_cnn.checkpoint import load_checkpoint

    meta = load_checkpoint(tmp_path / "cut1.h5").metadata
    assert meta["epoch"] == 4 and meta["world_size"] == 1


def test_default_run_folder_is_one_folder_per_job(tmp_path):
    """Rank 0 alone picks the fresh run folder and tells the others: one folder, not one per
    process."""
    r = tgcnn(2, "train", "--epochs", "1", *TINY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path / "runs" / "train")) == ["shapes-1"]
    files = sorted(os.listdir(tmp_path / "runs" / "train" / "shapes-1"))
    assert files == ["best.h5", "config.json", "curves.png", "last.h5", "metrics.csv",
                     "resume.txt"]


def test_train_sync_bn_saves_sync_batchnorm_layers(tmp_path):
    """--sync-bn converts the model's batch norms before wrapping; the checkpoint keeps
    them (in one process and in evaluation they are BatchNorm2d)."""
    r = tgcnn(2, "train", "--epochs", "1", *TINY, "--sync-bn", "--out", "s.h5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from tinygrad_cnn.checkpoint import load_checkpoint

    kinds = {type(m).__name__ for m in load_checkpoint(tmp_path / "s.h5").model.modules()}
    assert "SyncBatchNorm" in kinds and "BatchNorm2d" not in kinds
    e = tgcnn(0, "eval", "s.h5", cwd=tmp_path)
    assert e.returncode == 0, e.stderr
