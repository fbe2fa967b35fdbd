"""all_reduce / broadcast / barrier under real mpiexec: sums of ranks, float32/float64/int64,
odd and empty sizes, the same bits on every rank; 3 ranks oversubscribe the machine."""
import json

import pytest

from .conftest import requires_mpi, worker

pytestmark = requires_mpi


@pytest.mark.parametrize("n", [2, 3])
def test_collectives(tmp_path, n):
    out = tmp_path / "report.json"
    r = worker(n, "collectives", out, timeout=60)
    assert r.returncode == 0, r.stderr
    report = json.loads(out.read_text())
    assert report["size"] == n
    assert report["sum_of_ranks"] == n * (n - 1) // 2
    assert report["identical_on_all_ranks"] is True
    assert report["shared_sum"] is True  # rank-order sums, equal bits on every rank
    assert "C-contiguous" in report["non_contiguous"]
