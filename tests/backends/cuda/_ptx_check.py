"""Compile every registered CUDA kernel to PTX, outside the simulator; print a JSON report.

Run as a script by test_ptx.py (the simulator must be off, so it needs its own process).
Typing errors that the simulator lets through fail here, and a float32 signature whose PTX
holds any float64 instruction (a stray float64 literal or accumulator) is reported.
"""
import json
import re
import sys
import types

F64 = re.compile(r"^\s*[a-z][\w.]*\.f64\b")


def main() -> None:
    from numba import cuda
    from numba.core import config
    if config.ENABLE_CUDASIM:
        print(json.dumps({"skip": "the simulator is on in the PTX process"}))
        return
    import numba.cuda.dispatcher as dispatcher
    import tinygrad_cnn.backends.cuda  # noqa: F401 - registers every kernel
    from tinygrad_cnn.backends.cuda._common import KERNELS

    def probe(a):
        a[0] = a[0]
    try:
        cuda.compile_ptx(probe, "void(float32[::1])", cc=(8, 0))
    except Exception as exc:  # noqa: BLE001 - NVVM/NVRTC libraries not installed
        print(json.dumps({"skip": f"CUDA toolkit libraries unavailable: {exc}".splitlines()[0]}))
        return
    # Device functions are compiled for "the current device"; without a GPU, pretend one
    # of the compute capability we compile for.
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(8, 0))
    errors, f64, compiled = [], [], 0
    for k in KERNELS:
        sigs = [s for s in k.signatures if "float64" not in s or "float32" in s]
        for sig in sigs or k.signatures[:1]:
            try:
                ptx, _ = cuda.compile_ptx(k.py_func, sig, cc=(8, 0))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{k.name} {sig}: {str(exc)[:800]}")
                continue
            compiled += 1
            if "float32" in sig and "float64" not in sig:
                bad = [ln.strip() for ln in ptx.splitlines() if F64.match(ln)]
                if bad:
                    f64.append(f"{k.name} {sig}: {bad[:3]}")
    print(json.dumps({"compiled": compiled, "kernels": len(KERNELS), "errors": errors,
                      "f64": f64}))


if __name__ == "__main__":
    sys.exit(main())
