"""CUDA tensors under mpiexec -n 2 on the CUDA simulator: collectives through host buffers,
each rank on GPU local_rank % device_count, DDP gradients averaged and back on the device."""
import numpy as np

from .conftest import requires_mpi, worker

pytestmark = requires_mpi


def test_cuda_collectives_and_ddp_on_two_ranks(tmp_path):
    r = worker(2, "cuda_step", tmp_path / "cuda.npz", timeout=120,
               extra_env={"NUMBA_ENABLE_CUDASIM": "1"})
    assert r.returncode == 0, r.stderr
    with np.load(tmp_path / "cuda.npz") as f:
        assert bool(f["same"]) and int(f["gpu"]) == 0  # one simulated GPU: 0 % 1 for both
        assert bool(f["sync_bn"])  # SyncBatchNorm on CUDA tensors equals the CPU layer
        x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
        # d(sum of outputs)/dW = sum of the images per row; averaged over 2 ranks of 2 images
        want_w = np.tile(x.sum(axis=0) / 2, (3, 1))
        want_b = np.full(3, 4 / 2, np.float32)
        np.testing.assert_allclose(f["grads"], np.concatenate([want_w.ravel(), want_b]),
                                   rtol=1e-6, atol=1e-6)
