"""Every CUDA kernel against the numpy reference backend (cases: tests/backends/differential.py)."""
import pytest

from differential import CASES, check


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_reference_backend(be, case):
    check(be, case)
