"""Every CPU kernel against the numpy reference backend (cases: tests/backends/differential.py)."""
import pytest

import tinygrad_cnn.backends.cpu as cpu
from differential import CASES, check
from tinygrad_cnn.backends.api import BINARY_OPS, KERNEL_NAMES, UNARY_OPS


def test_every_contract_name_and_elementwise_op_has_a_case():
    assert sorted({case.split(":")[0] for case in CASES}) == sorted(KERNEL_NAMES)
    # "unary:OP" or "unary:OP:variant" (a second case of the same op)
    assert sorted({c.split(":")[1] for c in CASES if c.startswith("unary:")}) == sorted(UNARY_OPS)
    assert sorted({c.split(":")[1] for c in CASES if c.startswith("binary:")}) == sorted(BINARY_OPS)


def test_the_reference_backend_has_every_contract_name(ref):
    assert [name for name in KERNEL_NAMES if not callable(getattr(ref, name, None))] == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_reference_backend(case):
    check(cpu, case)
