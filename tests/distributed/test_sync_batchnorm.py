"""nn.SyncBatchNorm under real mpiexec: 2 ranks, each on half of the batch, give the output,
averaged gradients and running statistics of one process with BatchNorm2d on the whole batch."""
import sys

import numpy as np

from .conftest import mpiexec, requires_mpi, worker

pytestmark = requires_mpi

#: measured (2026-12-06): largest difference from one process 8.9e-8 (outputs up to 1.5, weight
#: gradients up to 0.53: a few float32 ulps), running_var bit-equal. Rounding only: SyncBatchNorm
#: sums its statistics in float64 over the ranks, BatchNorm2d in its float32 kernel, and each
#: gradient is a half-batch mean averaged over 2 ranks. (The conv bias gradient is ~1e-8, zero
#: up to rounding since BatchNorm removes the bias, hence the absolute term.)
RTOL, ATOL = 1e-5, 1e-6


def test_two_ranks_like_one_process_with_batchnorm2d(tmp_path):
    r1 = worker(1, "sync_bn", tmp_path / "one.npz", timeout=60)
    assert r1.returncode == 0, r1.stderr
    r2 = worker(2, "sync_bn", tmp_path / "two.npz", timeout=60)
    assert r2.returncode == 0, r2.stderr
    with np.load(tmp_path / "one.npz") as f:
        one = {k: f[k] for k in f.files}
    with np.load(tmp_path / "two.npz") as f:
        two = {k: f[k] for k in f.files}
    assert bool(two.pop("same")), "ranks ended with different gradients or statistics"
    one.pop("same")
    assert sorted(one) == sorted(two)
    assert {"state.1.running_mean", "state.1.running_var", "grad.1.weight", "out1",
            "eval"} <= set(one)
    assert int(two["state.1.num_batches_tracked"]) == 2
    for k in one:
        np.testing.assert_allclose(two[k], one[k], rtol=RTOL, atol=ATOL, err_msg=k)


def test_training_under_mpiexec_without_a_process_group_is_an_error():
    code = ("import numpy as np, tinygrad_cnn as tg\n"
            "from tinygrad_cnn import nn\n"
            "nn.SyncBatchNorm(2)(tg.Tensor(np.ones((2, 2, 2, 2), np.float32)))\n")
    r = mpiexec(2, sys.executable, "-c", code, timeout=60)
    assert r.returncode != 0
    assert "process group is not initialised" in r.stderr
