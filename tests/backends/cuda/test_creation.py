"""``arange``/``linspace``/``eye`` on CUDA (simulator) equal the CPU's bit for bit (the CPU's
equal numpy's: tests/test_creation.py)."""
import numpy as np
import pytest

import tinygrad_cnn as tg

CASES = {
    "arange_int": lambda d: tg.arange(-7, 40, 3, device=d),
    "arange_float": lambda d: tg.arange(-1.7, 2.3, 0.3, device=d),
    "arange_f64": lambda d: tg.arange(0.1, 1.0, 0.1, dtype="float64", device=d),
    "arange_int32": lambda d: tg.arange(5, dtype="int32", device=d),
    "arange_empty": lambda d: tg.arange(3, 1, device=d),
    "linspace": lambda d: tg.linspace(-3, 7, 50, device=d),
    "linspace_f64": lambda d: tg.linspace(1e-3, 7.7, 64, dtype="float64", device=d),
    "linspace_denormal": lambda d: tg.linspace(0, 1e-310, 5, dtype="float64", device=d),
    "linspace_one": lambda d: tg.linspace(2, 5, 1, device=d),
    "linspace_int": lambda d: tg.linspace(-2.5, 9, 6, dtype="int64", device=d),
    "eye": lambda d: tg.eye(3, 5, device=d),
    "eye_int": lambda d: tg.eye(4, dtype="int64", device=d),
    "eye_bool": lambda d: tg.eye(4, 2, dtype="bool", device=d),
    "eye_empty": lambda d: tg.eye(0, 3, dtype="float64", device=d),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_equals_cpu_bit_for_bit(name):
    cpu, cuda = CASES[name]("cpu"), CASES[name]("cuda")
    assert cuda.device == "cuda" and cuda.dtype == cpu.dtype and cuda.shape == cpu.shape
    np.testing.assert_array_equal(cuda.numpy(), cpu.numpy())
