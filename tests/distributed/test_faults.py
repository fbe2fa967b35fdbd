"""Failures never hang a job: an exception on one rank ends every rank with one line, a NaN
seen by one rank stops all cleanly, kill -9 of a rank ends the job, and a consistent error
(a bad option) is reported once with its usual exit code."""
import os
import re
import signal
import sys
import time

import numpy as np

from .conftest import Job, WORKER, mpiexec, requires_mpi, tgcnn, worker

pytestmark = requires_mpi


def _errors(stderr):
    return [ln for ln in stderr.splitlines() if ln.startswith("Error:")]


def test_exception_on_one_rank_ends_every_rank(tmp_path):
    started = time.monotonic()
    r = worker(2, "fail_on_one_rank", tmp_path / "x", timeout=60)
    elapsed = time.monotonic() - started
    assert r.returncode != 0
    assert elapsed < 30, elapsed
    errors = _errors(r.stderr)
    assert errors == ["Error: bad data in batch 2 (test) (process 1 of 2; ending all 2 "
                      "processes)"], r.stderr
    assert "Traceback" not in r.stderr


def test_uncaught_exception_in_a_script_ends_every_rank(tmp_path):
    started = time.monotonic()
    r = worker(2, "uncaught_on_one_rank", tmp_path / "x", timeout=60)
    assert r.returncode != 0 and time.monotonic() - started < 30
    assert r.stderr.count("RuntimeError: boom on rank 1 (test)") == 1


def test_nan_on_one_rank_stops_all_ranks_cleanly(tmp_path):
    r = worker(2, "nan_on_one_rank", tmp_path / "x", timeout=60)
    assert r.returncode == 1, r.stderr
    errors = _errors(r.stderr)
    assert len(errors) == 1 and "loss" in errors[0].lower() and "nan" in errors[0].lower()
    assert "MPI_Abort" not in r.stderr and "Traceback" not in r.stderr


def test_kill_9_of_one_rank_ends_the_job(tmp_path):
    with Job(2, [sys.executable, WORKER, "hang_forever", tmp_path / "x"],
             extra_env={"NUMBA_NUM_THREADS": "1"}) as job:
        pids, text = {}, ""
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            line = job.proc.stdout.readline()
            text += line  # the ranks' lines may arrive interleaved
            pids = {int(rank): int(pid) for pid, rank in re.findall(r"pid (\d+) rank (\d+)", text)}
            if not line:
                break
        assert len(pids) == 2, "the ranks did not start"
        os.kill(pids[1], signal.SIGKILL)
        started = time.monotonic()
        r = job.wait(60)  # fails the test if mpiexec is still running after 60 s
        assert r.returncode != 0
        assert time.monotonic() - started < 60


def test_consistent_error_is_reported_once_with_its_exit_code(tmp_path):
    r = tgcnn(2, "train", "--model", "no_such_model", "--limit", "16", cwd=tmp_path, timeout=90)
    assert r.returncode == 2, r.stderr
    errors = _errors(r.stderr)
    assert len(errors) == 1 and "no_such_model" in errors[0]
    assert "MPI_Abort" not in r.stderr and "Traceback" not in r.stderr


def test_bad_data_on_one_machine_ends_the_job(tmp_path):
    """Rank 1 sees other data (as a machine missing the file would) and fails while parsing its
    options; rank 0 is already training: the job ends with rank 1's one line."""
    x = np.random.default_rng(0).integers(0, 255, (64, 3, 8, 8)).astype(np.uint8)
    np.savez(tmp_path / "good.npz", x=x, y=np.arange(64) % 4)
    common = ["--epochs", "50", "--width", "0.125", "--out", "r.h5"]
    me = [sys.executable, "-m", "tinygrad_cnn", "train"]
    started = time.monotonic()
    r = mpiexec(1, *me, "--data", "npz:good.npz", *common, ":", "-n", "1", *me, "--data",
                "npz:missing.npz", *common, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - started < 30
    errors = _errors(r.stderr)
    assert len(errors) == 1 and "missing.npz does not exist" in errors[0], r.stderr
    assert errors[0].endswith("(process 1 of 2; ending all 2 processes)")
    assert "Traceback" not in r.stderr and not (tmp_path / "r.h5").exists()
