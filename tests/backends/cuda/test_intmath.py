"""Integer and bool tensors on CUDA (simulator): every small dtype computes on the device and
matches the CPU backend exactly, wrap-around included, and PyTorch where it agrees."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_cnn as tg
from tinygrad_cnn.backends.cuda import _cast
from tinygrad_cnn.backends.cuda.array import astype, from_numpy, to_numpy

SMALL = ["uint8", "int8", "int16", "int32", "int64"]
A = {"uint8": [0, 1, 7, 200, 255], "int8": [-128, -3, 0, 5, 127],
     "int16": [-30000, -7, 0, 9, 32767], "int32": [-2**31, -5, 0, 11, 2**31 - 1],
     "int64": [-2**63, -2, 0, 2**53 + 1, 2**62]}
B = {"uint8": [3, 200, 2, 100, 255], "int8": [-1, 100, 7, -2, 3],
     "int16": [3, -300, 2, 30000, 2], "int32": [7, -2**30, 3, 2**30, 2],
     "int64": [3, -5, 9, 2**40, 2]}
EXP = [0, 1, 2, 5, 9]

BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
          "maximum": lambda a, b: a.maximum(b) if hasattr(a, "maximum") else np.maximum(a, b),
          "where": lambda a, b: tg.where(b.abs() > 2, a, b), "and": lambda a, b: a & b,
          "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
          "xor_bcast": lambda a, b: a.reshape(5, 1) ^ b}
UNARY = {"neg": lambda a: -a, "abs": lambda a: a.abs(), "sign": lambda a: a.sign(),
         "clamp": lambda a: a.clamp(-4, 100), "scalar_add": lambda a: a + 300,
         "scalar_rsub": lambda a: 7 - a, "scalar_mul": lambda a: a * 3,
         "max": lambda a: a.max(), "amax_keep": lambda a: a.reshape(1, 5).amax(1, keepdim=True),
         "sum": lambda a: a.sum(), "flip_perm": lambda a: a.reshape(5, 1).permute(1, 0).flip(1),
         "slice_pad": lambda a: a[1:4].reshape(1, 3).expand(2, 3), "invert": lambda a: ~a,
         "scalar_and": lambda a: a & 6, "scalar_ror": lambda a: 9 | a}


def _pair(dt, fn, *arrays):
    outs = []
    for dev in ("cpu", "cuda"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # int64 wrap-around in the simulator
            out = fn(*[tg.tensor(np.array(x, dt), device=dev) for x in arrays])
        outs.append(out)
    return outs


def _same(cpu, cuda):
    assert cuda.device == "cuda" and cuda.dtype == cpu.dtype and cuda.shape == cpu.shape
    assert cuda.numpy().tolist() == cpu.numpy().tolist()


@pytest.mark.parametrize("dt", SMALL)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_cpu(dt, name):
    cpu, cuda = _pair(dt, BINARY[name], A[dt], B[dt])
    assert cpu.dtype == np.dtype(dt)
    _same(cpu, cuda)


@pytest.mark.parametrize("dt", SMALL)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_cpu(dt, name):
    _same(*_pair(dt, UNARY[name], A[dt]))


@pytest.mark.parametrize("dt", SMALL)
def test_integer_power_is_exact_modulo_width(dt):
    cpu, cuda = _pair(dt, lambda a, e: a ** e, A[dt], EXP)
    _same(cpu, cuda)
    _same(*_pair(dt, lambda a: a ** 3, A[dt]))
    _same(*_pair(dt, lambda a: 2 ** a, EXP))


@pytest.mark.parametrize("dt", ["uint8", "int8", "int16", "int32"])
def test_wraparound_matches_torch(dt):
    a, b = np.array(A[dt], dt), np.array(B[dt], dt)
    x, y = (tg.tensor(v, device="cuda") for v in (a, b))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    for got, want in [(x + y, ta + tb), (x - y, ta - tb), (x * y, ta * tb), (-x, -ta),
                      (x + 300, ta + (300 % 256 if dt == "uint8" else 300))]:
        assert got.numpy().tolist() == want.numpy().astype(dt).tolist()


def test_negative_integer_exponent_is_an_error_on_both_devices():
    for dev in ("cpu", "cuda"):
        x = tg.tensor(np.array([2, 3]), device=dev)
        with pytest.raises(ValueError, match="negative integer powers"):
            x ** tg.tensor(np.array([1, -1]), device=dev)


def test_bool_ops_match_cpu():
    m = [True, False, True, False, False]
    n = [True, True, False, False, True]
    for fn in (lambda a, b: tg.where(a, a, b), lambda a, b: a.max(), lambda a, b: a ** b,
               lambda a, b: a.flip(0), lambda a, b: a.reshape(5, 1).expand(5, 2),
               lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: ~a,
               lambda a, b: a.reshape(5, 1) ^ b, lambda a, b: a & True, lambda a, b: a | 3,
               lambda a, b: a + b, lambda a, b: a * b):
        _same(*_pair("bool", fn, m, n))


@pytest.mark.parametrize("src", ["bool"] + SMALL + ["float32", "float64"])
def test_every_cast_runs_on_the_device(src, monkeypatch):
    x = np.array([0, 1, -1, 300, -200, 2.5, -0.5]).astype(src)
    d = from_numpy(x)
    monkeypatch.setattr("tinygrad_cnn.backends.cuda.array.to_numpy", _no_host)
    outs = {dst: astype(d, dst) for dst in ["bool"] + SMALL + ["float32", "float64"]}
    monkeypatch.undo()
    for dst, out in outs.items():
        assert out.dtype == np.dtype(dst)
        assert to_numpy(out).tolist() == x.astype(dst).tolist(), (src, dst)


def _no_host(a):
    raise AssertionError("host round trip")


def test_hub_to_hub_is_not_a_cast_module_case():
    with pytest.raises(ValueError, match="hub"):
        _cast.cast(from_numpy(np.zeros(2, np.float32)), np.float64)


@pytest.mark.parametrize("name", ["_cast", "intmath", "sort", "scan", "index"])
def test_docstring_examples(name):
    import doctest
    import importlib
    module = importlib.import_module(f"tinygrad_cnn.backends.cuda.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
