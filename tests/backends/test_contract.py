"""The CPU backend fulfils the typed contract of ``backends/api.py``: every kernel name, with
the protocol's parameters (extra trailing options allowed), plus one shortcut per elementwise
op. (The CUDA package is checked the same way by tests/backends/cuda/test_simulator.py.)"""
import inspect

import numpy as np
import pytest

import tinygrad_cnn.backends.cpu as cpu
from tinygrad_cnn.backends.api import BINARY_OPS, KERNEL_NAMES, UNARY_OPS, Backend


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_kernel_has_the_contract_signature(name):
    want = list(inspect.signature(getattr(Backend, name)).parameters)[1:]
    got = list(inspect.signature(getattr(cpu, name)).parameters)
    assert got[:len(want)] == want
    assert all(p.default is not p.empty
               for p in list(inspect.signature(getattr(cpu, name)).parameters.values())[len(want):])


def test_every_elementwise_op_is_implemented_and_has_a_shortcut():
    from tinygrad_cnn.backends.cpu import elementwise
    assert tuple(elementwise._UNARY) == UNARY_OPS
    assert tuple(elementwise._BINARY) == BINARY_OPS
    floats, ints = (np.float32([-1.5, 2.0]), np.float32([0.5, 3.0])), (np.int32([-6, 5]),
                                                                          np.int32([3, 12]))
    with np.errstate(invalid="ignore"):  # log, sqrt and pow of -1.5 are NaN on both paths
        for op in UNARY_OPS:
            a, _ = ints if op.startswith("bitwise_") else floats  # integer-only ops
            np.testing.assert_array_equal(getattr(cpu, op)(a), cpu.unary(op, a))
        for op in BINARY_OPS:
            a, b = ints if op.startswith("bitwise_") else floats
            np.testing.assert_array_equal(getattr(cpu, op)(a, b), cpu.binary(op, a, b))
    a = floats[0]
    assert cpu.leaky_relu(a, 0.25).tolist() == cpu.unary("leaky_relu", a, 0.25).tolist()


def test_contract_has_no_elementwise_names_of_its_own():
    # the ops are parameters of two kernels, not contract names
    assert not set(KERNEL_NAMES) & (set(UNARY_OPS) | set(BINARY_OPS))
